"""The CLI's one-line errors, built from the API's uniform error body."""

from __future__ import annotations

import httpx

from trellis.core.api_client import error_from_response


def line(status: int, body: object = None, text: str | None = None) -> str:
    if text is not None:
        return error_from_response(httpx.Response(status, text=text)).message
    return error_from_response(httpx.Response(status, json=body)).message


def test_the_message_and_status_of_the_uniform_error_body() -> None:
    body = {"detail": {"error": "execution_state_conflict", "message": "The execution is already failed."}}
    error = error_from_response(httpx.Response(409, json=body))
    assert error.message == "409: The execution is already failed."
    assert (error.status_code, error.code) == (409, "execution_state_conflict")


def test_listed_problems_are_folded_into_the_line() -> None:
    graph = {
        "detail": {
            "error": "invalid_workflow",
            "message": "The workflow graph is invalid (2 problem(s)).",
            "problems": [
                {"node_id": "b", "field": None, "message": "is not reachable from any trigger"},
                {"node_id": None, "field": None, "message": "a workflow needs at least one trigger node"},
            ],
        }
    }
    assert line(422, graph) == (
        "422: The workflow graph is invalid (2 problem(s)): b: is not reachable from any trigger; "
        "a workflow needs at least one trigger node"
    )
    fastapi = {
        "detail": {
            "error": "validation_error",
            "message": "The request is invalid.",
            "errors": [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}],
        }
    }
    assert line(422, fastapi) == "422: The request is invalid: name: Field required"
    many = {"detail": {"message": "Bad.", "problems": [{"node_id": f"n{i}", "message": "x"} for i in range(12)]}}
    assert line(422, many).endswith("n9: x; and 2 more")


def test_bodies_that_are_not_the_uniform_shape() -> None:
    assert line(502, text="<html><body>Bad   gateway</body></html>") == "502: <html><body>Bad gateway</body></html>"
    assert line(404, {"detail": "Not Found"}) == "404: Not Found"
    assert line(500, {"unexpected": True}) == '500: {"unexpected":true}'
