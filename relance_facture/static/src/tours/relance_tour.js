import {registry} from "@web/core/registry";

/** Steps opening Accounting > Customers > Dunning > (item). */
function openDunningMenu(xmlid, content) {
    return [
        {
            content: "Open the Customers menu",
            trigger:
                '.o_main_navbar button[data-menu-xmlid="account.menu_finance_receivables"]',
            run: "click",
        },
        {
            content,
            trigger: `.o-dropdown--menu [data-menu-xmlid="relance_facture.${xmlid}"]`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("relance_facture_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Accounting",
            trigger: '.o_app[data-menu-xmlid="account.menu_finance"]',
            run: "click",
        },
        ...openDunningMenu("relance_workspace_menu", "Open the dunning workspace"),
        {
            content: "The workspace counts one formal notice to validate",
            trigger:
                '.o_kanban_record:contains("To Validate"):contains("Formal notices") .display-6:contains("1")',
        },
        {
            trigger: '.o_kanban_record:contains("Calls to Make")',
        },
        ...openDunningMenu("res_partner_menu_relance_stage", "Customers by stage"),
        {
            content: "The customer is in the Waiting for validation column",
            trigger:
                '.o_kanban_group:contains("Waiting for validation") .o_kanban_record:contains("Tour Customer SARL")',
            run: "click",
        },
        {
            content: "Open the Dunning tab of the customer",
            trigger: '.o_form_view .o_notebook .nav-link:contains("Dunning")',
            run: "click",
        },
        {
            trigger: '.o_form_view .o_notebook .tab-pane.active:contains("Payment behaviour")',
        },
        {
            content: "Send a reminder now",
            trigger: '.o_form_view button[name="action_relance_send_now"]',
            run: "click",
        },
        {
            content: "The reminder was sent",
            trigger: '.o_notification:contains("1 step(s) sent")',
        },
        ...openDunningMenu("relance_preview_menu", "Preview the next run"),
        {
            content: "The preview opens",
            trigger: '.modal:contains("Preview of the Next Dunning Run")',
        },
        {
            content: "Close the preview",
            trigger: ".modal .btn-close",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        ...openDunningMenu("relance_workspace_menu", "Back to the workspace"),
        {
            content: "Open the formal notices to validate",
            trigger: '.o_kanban_record:contains("To Validate")',
            run: "click",
        },
        {
            content: "Validate the formal notice",
            trigger:
                '.o_list_view .o_data_row:contains("Tour Customer SARL") button[name="action_validate"]',
            run: "click",
        },
        {
            content: "Nothing is left to validate",
            trigger: ".o_list_view:not(:has(.o_data_row))",
        },
        ...openDunningMenu("relance_event_menu", "Open the history"),
        {
            content: "Switch to the pivot",
            trigger: ".o_control_panel .o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot shows the steps",
            trigger: '.o_pivot_view .o_pivot th:contains("Total")',
        },
    ],
});
