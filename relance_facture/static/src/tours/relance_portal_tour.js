import {registry} from "@web/core/registry";

/**
 * The customer's answer page of a reminder, opened logged out: promise to
 * pay on the first day the page accepts (its "min"), send, read the thanks.
 */
registry.category("web_tour.tours").add("relance_portal_answer", {
    steps: () => [
        {
            content: "The page lists the invoice still to pay",
            trigger: ".o_relance_open_invoices tbody tr .o_relance_amount_due",
        },
        {
            content: "Choose to promise a payment date",
            trigger: "label[for='relance_kind_promise']",
            run: "click",
        },
        {
            content: "Promise to pay on the first day the page offers",
            trigger: "input#relance_promise_date",
            run() {
                this.anchor.value = this.anchor.min;
                this.anchor.dispatchEvent(new Event("input", {bubbles: true}));
                this.anchor.dispatchEvent(new Event("change", {bubbles: true}));
            },
        },
        {
            content: "Send the answer",
            trigger: "button.o_relance_submit",
            run: "click",
        },
        {
            content: "The page thanks the customer for the promise",
            trigger: ".o_relance_thanks:contains('We have noted the date you promised')",
        },
    ],
});
