"""A batch of writes to IdoSell (IS-6), each kind of write in one request of up to 100 clients.

Creates go in one POST, updates in one PUT, new delivery addresses in one POST; a 207's
per-item ``faultCode`` refuses that record only.

Writes are idempotent (G-6) although IdoSell has no idempotency key: the external code is a
client's identity (IS-3), so a create whose login is "in use" (fault 3) first looks its code
up, and an account found with it is the one an earlier attempt created (a lost response, a
retried batch): it is adopted, not duplicated. A record that comes without a code (a POS
that keeps none) is created with the write's idempotency key as its external code, so a
replay finds it the same way (as Edge imports carry it as the partner id). Delivery
addresses are added only when the account lacks them (IS-9), so a repeated batch adds
nothing twice.
"""

from __future__ import annotations

from typing import Any

from framework import ApplyResult, ConnectorError, Customer, RecordRejected, WriteOp, WriteRequest
from framework.models import Address
from plugins.idosell.api import MAX_ITEMS, Shop
from plugins.idosell.login import LoginMaker
from plugins.idosell.mapping import as_stored, delivery_item, post_item, put_item

LOGIN_IN_USE = 3
Result = ApplyResult | ConnectorError


def code_of(request: WriteRequest) -> str:
    """The external code a new account is created with (IS-3).

    The F/K code; else the write's idempotency key, stable across replays (G-6).
    """
    return request.link_key or request.idempotency_key


def refusal(shop: Shop, item: dict[str, Any], rule: str, doing: str) -> RecordRejected:
    """A per-item fault of a 207 as the refusal of that record."""
    errors = item.get("errors") or [{}]
    first = errors[0] if isinstance(errors, list) else errors
    return RecordRejected(
        f"{shop.name}: {doing} refused: faultCode {first.get('faultCode')}: "
        f"{first.get('faultString')}",
        system=shop.name,
        status=207,
        rule=rule,
    )


def to_address(row: dict[str, Any]) -> dict[str, Any]:
    """A delivery address row as a canonical address dict (for identity)."""
    return Address(
        street1=row.get("clientDeliveryAddressStreet"),
        postal_code=row.get("clientDeliveryAddressZipCode"),
        city=row.get("clientDeliveryAddressCity"),
    ).model_dump()


class Batch:
    """One call of ``apply_many``: the requests, and what became of each."""

    def __init__(self, shop: Shop, requests: list[WriteRequest]):
        self.shop = shop
        self.requests = requests
        self.out: dict[int, Result] = {}
        self.written: dict[int, tuple[str, str]] = {}  # request -> (client id, login)
        self.adopted: set[int] = set()

    def customer(self, n: int) -> Customer:
        """The record of request ``n``."""
        record = self.requests[n].record
        assert isinstance(record, Customer)
        return record

    def run(self) -> list[Result]:
        """Make the writes; one result per request, in order."""
        creates, updates = [], []
        for n, request in enumerate(self.requests):
            if request.op is WriteOp.DELETE or not isinstance(request.record, Customer):
                self.out[n] = RecordRejected(
                    f"{self.shop.name}: IdoSell accounts are not deleted by the bridge (G-7)",
                    system=self.shop.name,
                    rule="G-7",
                )
            elif request.op is WriteOp.CREATE:
                creates.append(n)
            else:
                updates.append(n)
        if creates:
            self.create(creates)
        if updates:
            self.update(updates)
        self.add_deliveries()
        for n, (client_id, login) in self.written.items():
            if n not in self.out:
                customer = self.customer(n)
                record = as_stored(
                    customer, login, customer.discount_group, customer.delivery_addresses
                )
                request = self.requests[n]
                code = code_of(request) if request.op is WriteOp.CREATE else None
                self.out[n] = ApplyResult(id=client_id, record=record, link_key=code)
        return [self.out[n] for n in range(len(self.requests))]

    # -- creates -------------------------------------------------------------------------------

    def create(self, todo: list[int]) -> None:
        """POST the new accounts; a login in use is adopted or retried with the next (IS-7)."""
        logins = {n: LoginMaker(self.shop.settings.login_pattern, self.requests[n]) for n in todo}
        items: dict[int, dict[str, Any]] = {}
        for n in todo:
            try:
                group = self.shop.group(self.customer(n).discount_group)
            except RecordRejected as exc:
                self.out[n] = exc
                continue
            request = self.requests[n]
            items[n] = post_item(
                self.customer(n),
                logins[n].current,
                code_of(request),
                request.idempotency_key,
                group,
            )
        while items:
            in_use = self.post(items)
            self.adopt(in_use)
            items = {}
            for n, item in in_use.items():
                if n in self.written:
                    continue
                if logins[n].advance():
                    items[n] = {**item, "login": logins[n].current}
                else:
                    self.out[n] = RecordRejected(
                        f"{self.shop.name}: every login tried for {item['login']!r} is in use",
                        system=self.shop.name,
                        rule="IS-7",
                    )

    def post(self, items: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """One POST of new accounts; returns the items whose login was in use."""
        order = list(items)
        body = self.shop.call(
            "POST",
            "/clients/clients",
            json={
                "params": {"clients": [items[n] for n in order]},
                "settings": {"send_mail": self.shop.settings.send_mail, "send_sms": False},
            },
        )
        in_use: dict[int, dict[str, Any]] = {}
        for n, result in zip(order, body.get("clients") or [], strict=True):
            if result.get("status"):
                params = result.get("params") or {}
                self.written[n] = (str(params["id"]), str(params.get("login") or items[n]["login"]))
                continue
            codes = {e.get("faultCode") for e in result.get("errors") or []}
            if LOGIN_IN_USE in codes:
                in_use[n] = items[n]
                continue
            rule = "IS-7" if codes & {1, 2} else "G-5"
            self.out[n] = refusal(
                self.shop, result, rule, f"creating account {items[n]['login']!r}"
            )
        return in_use

    def adopt(self, in_use: dict[int, dict[str, Any]]) -> None:
        """G-6: an account already carrying the code is the one an earlier attempt created."""
        wanted = {code_of(self.requests[n]): n for n in in_use}
        found: dict[str, list[dict[str, Any]]] = {}
        for client in self.shop.by_codes([c for c in wanted if c is not None]):
            found.setdefault(str(client.get("clientCodeExternal")), []).append(client)
        for code, n in wanted.items():
            clients = found.get(str(code), [])
            if len(clients) == 1:
                self.written[n] = (str(clients[0]["clientId"]), str(clients[0]["clientLogin"]))
                self.adopted.add(n)

    # -- updates -------------------------------------------------------------------------------

    def update(self, todo: list[int]) -> None:
        """PUT the changed fields of existing accounts, by login."""
        logins = self.logins(todo)
        items: dict[int, dict[str, Any]] = {}
        for n in todo:
            request = self.requests[n]
            login = logins.get(str(request.target_id))
            if login is None:
                self.out[n] = RecordRejected(
                    f"{self.shop.name}: client {request.target_id} not found", system=self.shop.name
                )
                continue
            fields = {f.partition(".")[0] for f in request.fields}
            try:
                group = (
                    self.shop.group(self.customer(n).discount_group)
                    if ("discount_group" in fields)
                    else None
                )
            except RecordRejected as exc:
                self.out[n] = exc
                continue
            item = put_item(self.customer(n), login, fields, group)
            if len(item) > 1:
                items[n] = item
            else:  # only delivery addresses to add
                self.written[n] = (str(request.target_id), login)
        if not items:
            return
        order = list(items)
        body = self.shop.call(
            "PUT",
            "/clients/clients",
            json={
                "params": {"clients": [items[n] for n in order]},
                "clientsSettings": {"clientSettingSendMail": False, "clientSettingSendSms": False},
            },
        )
        for n, result in zip(order, body.get("results") or [], strict=True):
            if result.get("resultStatus"):
                self.written[n] = (str(self.requests[n].target_id), items[n]["clientLogin"])
            else:
                doing = f"updating client {self.requests[n].target_id}"
                self.out[n] = refusal(self.shop, result, "G-5", doing)

    def logins(self, todo: list[int]) -> dict[str, str]:
        """Client id -> login (PUT names clients by login); looked up when not known."""
        known: dict[str, str] = {}
        missing = []
        for n in todo:
            target, login = str(self.requests[n].target_id), self.customer(n).login
            if login:
                known[target] = login
            else:
                missing.append(target)
        if missing:
            body, _ = self.shop.get_list(
                "/clients/clients", {"clientsIds": ",".join(missing), "resultsLimit": MAX_ITEMS}
            )
            for client in body.get("results") or []:
                known[str(client["clientId"])] = str(client["clientLogin"])
        return known

    # -- delivery addresses (IS-9) -------------------------------------------------------------

    def add_deliveries(self) -> None:
        """Add the delivery addresses the accounts lack, never replacing one."""
        wanted = [
            n
            for n in self.written
            if self.customer(n).delivery_addresses
            and (
                self.requests[n].op is WriteOp.CREATE
                or "delivery_addresses" in self.requests[n].fields
            )
        ]
        if not wanted:
            return
        existing = [
            int(self.written[n][0])
            for n in wanted
            if self.requests[n].op is WriteOp.UPDATE or n in self.adopted
        ]
        current = self.shop.deliveries(existing)  # a new account has none yet
        items: list[tuple[int, dict[str, Any]]] = []
        for n in wanted:
            client_id, login = self.written[n]
            have = {
                Customer.item_identity("delivery_addresses", to_address(d))
                for d in current.get(int(client_id), [])
            }
            for address in self.customer(n).delivery_addresses:
                identity = Customer.item_identity("delivery_addresses", address.model_dump())
                if identity not in have:
                    have.add(identity)
                    items.append((n, delivery_item(login, self.customer(n), address)))
        for start in range(0, len(items), MAX_ITEMS):
            self.post_deliveries(items[start : start + MAX_ITEMS])

    def post_deliveries(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        """One POST of delivery addresses; a refused one refuses its client's write."""
        body = self.shop.call(
            "POST",
            "/clients/deliveryAddress",
            json={"params": {"clients": [item for _, item in chunk]}},
        )
        for (n, item), result in zip(chunk, body.get("results") or [], strict=True):
            if not result.get("resultStatus") and n not in self.out:
                done = "created" if self.requests[n].op is WriteOp.CREATE else "updated"
                self.out[n] = refusal(
                    self.shop,
                    result,
                    "IS-9",
                    f"client {self.written[n][0]} was {done}, but its delivery address "
                    f"{item.get('clientDeliveryAddressStreet')!r}",
                )
