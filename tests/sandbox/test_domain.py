"""The world's refusals are domain exceptions, answered with Telnyx's status and code at the HTTP edge;
events dispatch through one explicit table."""

from __future__ import annotations

import pytest

from reconciler.sandbox import domain as D
from reconciler.sandbox import errors as E
from reconciler.sandbox.engine import World
from reconciler.sandbox.jobs import Event


@pytest.mark.parametrize("exc,status,code", [
    (D.NotFound, 404, E.NOT_FOUND),
    (D.Invalid, 400, E.BAD_REQUEST),
    (D.NotE164, 400, E.NOT_E164),
    (D.Missing, 400, E.MISSING_PARAMETER),
    (D.Refused, 422, E.BAD_REQUEST),
    (D.Conflict, 422, E.DUPLICATE),
    (D.InUse, 422, E.IN_USE),
])
def test_each_refusal_has_its_telnyx_status_and_code(exc, status, code):
    err = E.from_domain(exc("why", pointer="/phoneNumber"))
    assert (err.status, err.code) == (status, code)
    assert err.body() == {"errors": [{"code": code, "title": E.TITLES[code], "detail": "why",
                                      "source": {"pointer": "/phoneNumber"}}]}


def test_the_world_raises_domain_refusals_not_http_errors():
    world = World()
    with pytest.raises(D.NotE164):
        world.number_slot("12")
    with pytest.raises(D.NotFound) as e:
        world.record_slot("+13125550100")
    assert e.value.parameter == "phoneNumber" and not isinstance(e.value, E.ApiError)


def test_every_event_kind_has_exactly_one_handler():
    world = World()
    assert set(world.event_handlers) == set(Event)
    assert len(set(world.event_handlers.values())) == len(Event)
