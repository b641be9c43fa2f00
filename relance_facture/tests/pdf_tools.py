import io
import subprocess
import tempfile

from odoo.tools.pdf import PdfFileReader


def pdf_text(content):
    """Text of a PDF as ``pdftotext`` reads it, whitespace collapsed."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf_file:
        pdf_file.write(content)
        pdf_file.flush()
        text = subprocess.run(
            ["pdftotext", pdf_file.name, "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    return " ".join(text.split())


def pdf_pages(content):
    return PdfFileReader(io.BytesIO(content)).getNumPages()
