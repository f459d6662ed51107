"""Confirmation pages for far-reaching actions (docs/process.md#confirmations).

A form that does something irreversible or far-reaching (a phase move, publication, a merge, a
mass code reissue, reprinting ballots, deleting an item) posts once without `confirmed`: the view
answers with a page saying what will happen and to how many households, whose form sends the
same fields again with `confirmed=1`. Only then does the view call the operation.
"""

from flask import render_template, request


def confirmed() -> bool:
    """Whether this POST is the confirmed second step."""
    return request.form.get("confirmed") == "1"


def confirmation_page(
    title: str,
    consequences: list[str],
    *,
    button: str,
    cancel_url: str,
    warnings: list[str] | tuple = (),
    undo: str = "",
):
    """The confirmation page for the POST being handled: what will happen (`consequences`,
    with counts), what to watch for, whether it can be undone, and a form that re-sends the
    request's fields with confirmed=1 to the same URL."""
    fields = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", "confirmed")
    ]
    return render_template(
        "confirm.html",
        title=title,
        consequences=consequences,
        warnings=list(warnings),
        undo=undo,
        fields=fields,
        action=request.path,
        button=button,
        cancel_url=cancel_url,
    )
