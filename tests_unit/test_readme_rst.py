import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "readme_rst.py"
spec = importlib.util.spec_from_file_location("readme_rst", SCRIPT)
readme_rst = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_rst)
to_rst = readme_rst.to_rst


def test_inline_markup():
    md = "*em*, **strong**, `code`, [Odoo](https://odoo.com) and <https://x.org>"
    assert to_rst(md) == [
        "*em*, **strong**, ``code``, `Odoo <https://odoo.com>`__ and https://x.org"
    ]


def test_bullets_keep_their_lines_and_get_a_blank_line_before():
    md = "Intro:\n- first\n  continued\n- second\n\n1. one\n   more\n2. two"
    assert to_rst(md) == [
        "Intro:",
        "",
        "-  first",
        "   continued",
        "-  second",
        "",
        "1. one",
        "   more",
        "2. two",
    ]


def test_heading_becomes_a_dash_underlined_subsection():
    assert to_rst("## Who `does` what\n\nText") == [
        "Who ``does`` what",
        "-----------------",
        "",
        "Text",
    ]


def test_pipe_table_becomes_a_grid_table():
    md = "Before:\n\n| Step | Strict |\n|---|---|\n| R1 | J+1 |\n| Courtesy | — |"
    assert to_rst(md) == [
        "Before:",
        "",
        "+----------+--------+",
        "| Step     | Strict |",
        "+==========+========+",
        "| R1       | J+1    |",
        "+----------+--------+",
        "| Courtesy | —      |",
        "+----------+--------+",
    ]


def test_readme_layout(tmp_path):
    (tmp_path / "readme").mkdir()
    (tmp_path / "__manifest__.py").write_text(
        '{"name": "Demo", "author": "A, B", "website": "https://github.com/o/r",'
        ' "maintainers": ["x", "y"]}'
    )
    for stem, text in {"DESCRIPTION": "Desc.", "USAGE": "Use it."}.items():
        (tmp_path / "readme" / f"{stem}.md").write_text(text)
    text = readme_rst.readme(tmp_path)
    assert text.startswith("====\nDemo\n====\n\n..\n")
    assert "Desc.\n\n**Table of contents**" in text
    assert "Configuration" not in text  # no CONFIGURE.md, no section
    assert "Usage\n=====\n\nUse it.\n\nBug Tracker\n" in text
    assert "* A\n* B\n" in text
    assert "Current maintainers:\n\n|maintainer-x| |maintainer-y|\n" in text


def test_check_reports_a_stale_readme(tmp_path, capsys):
    (tmp_path / "readme").mkdir()
    (tmp_path / "__manifest__.py").write_text(
        '{"name": "Demo", "author": "A", "website": "https://github.com/o/r"}'
    )
    (tmp_path / "readme" / "DESCRIPTION.md").write_text("Old.")
    assert readme_rst.main([str(tmp_path)]) == 0
    assert readme_rst.main(["--check", str(tmp_path)]) == 0
    (tmp_path / "readme" / "DESCRIPTION.md").write_text("New.")
    assert readme_rst.main(["--check", str(tmp_path)]) == 1
    assert "+New." in capsys.readouterr().out
