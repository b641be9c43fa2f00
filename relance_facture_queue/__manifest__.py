{
    "name": "Relance Facture: Parallel Daily Run",
    "summary": "The daily dunning run in parallel workers of the job queue",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Relance Facture contributors",
    "website": "https://github.com/relance-facture/relance_facture",
    "maintainers": ["relance-facture"],
    "depends": ["relance_facture", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
        "data/relance_workspace_data.xml",
        "views/res_config_settings_views.xml",
        "views/relance_workspace_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
