"""The fake IdoSell shop's data: client accounts, delivery addresses, shops, discount groups.

Follows the IdoSell Admin API v6 as ``docs/idosell-api.md`` reads it, including what that
page marks as modelled (ordering by client id, one-second modification dates, trade credit
from the ERP's limit and balance, fault codes).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fakes.polish import nip_valid
from fakes.toolkit import Clock

LOGIN = re.compile(r"^[a-z0-9._-]{3,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
POSTCODE_PL = re.compile(r"^\d{2}-\d{3}$")
COUNTRIES = {"pl", "de", "cz", "sk", "lt", "ua", "gb", "us"}
MAX_ITEMS = 100
UNKNOWN_GROUP = 22  # modelled: the spec lists no fault code for it


class Fault(Exception):
    """A per-item refusal: IdoSell's ``faultCode`` and ``faultString``."""

    def __init__(self, code: int, text: str):
        super().__init__(text)
        self.code = code
        self.text = text

    def as_error(self) -> dict[str, Any]:
        """The ``{faultCode, faultString}`` object."""
        return {"faultCode": self.code, "faultString": self.text}


SHOP_ZONE = ZoneInfo("Europe/Warsaw")


def _date(moment: dt.datetime) -> str:
    """A modification date: the shop's local time, to the second."""
    return moment.astimezone(SHOP_ZONE).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class IdoSellState:
    """Everything the fake shop holds."""

    api_key: str = "test-idosell-key"
    clock: Clock = field(default_factory=Clock)
    shops: dict[int, str] = field(
        default_factory=lambda: {1: "Sklep główny", 2: "Hurtownia B2B", 3: "Sklep Kraków"}
    )
    groups: dict[int, str] = field(
        default_factory=lambda: {1: "Detal", 2: "Hurt", 3: "Hurt plus", 4: "VIP"}
    )
    clients: dict[int, dict[str, Any]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # told ("created" or "edited", the client) after each change (fakes/idosell/webhooks.py)
    listeners: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)
    _next_client: int = 1000
    _next_address: int = 1
    # login -> client id, so a create's uniqueness check and a write by login do not read
    # every client (a 10k upload's batches took 0.6 s each without it: the benchmark's floor)
    _logins: dict[str, int] = field(default_factory=dict, repr=False)

    def reset(self) -> None:
        """Forget every client."""
        self.clients.clear()
        self._logins.clear()

    def now(self) -> str:
        """The modification date to stamp now (one-second resolution)."""
        return _date(self.clock.now())

    # -- lookups --------------------------------------------------------------------------------

    def by_login(self, login: Any) -> dict[str, Any]:
        """The client with this login (fault 2 when there is none)."""
        client_id = self._login_id(login)
        if client_id is None:
            raise Fault(2, f"no client with login {login!r}")
        return self.clients[client_id]

    def _login_id(self, login: Any) -> int | None:
        client_id = self._logins.get(login) if isinstance(login, str) else None
        if client_id is not None and self.clients.get(client_id, {}).get("clientLogin") == login:
            return client_id
        if len(self._logins) != len(self.clients):  # clients put in by hand: look at each
            for cid, client in self.clients.items():
                if client["clientLogin"] == login:
                    return cid
        return None

    def _login_free(self, login: str, but: int | None = None) -> bool:
        return self._login_id(login) in (None, but)

    # -- writes ---------------------------------------------------------------------------------

    def create(self, item: Any) -> dict[str, Any]:
        """POST /clients/clients, one item (snake_case); returns the stored client."""
        if not isinstance(item, dict):
            raise Fault(1, "a client must be an object")
        login = item.get("login")
        if not login:
            raise Fault(1, "No username entered.")
        if not isinstance(login, str) or not LOGIN.match(login):
            raise Fault(2, "Invalid login - it should only consist of small letters")
        if not self._login_free(login):
            raise Fault(3, "This username is already in use")
        fields = {
            "clientEmail": item.get("email"),
            "clientFirstName": item.get("firstname"),
            "clientLastName": item.get("lastname"),
            "clientFirm": item.get("company"),
            "clientNip": item.get("vat_number"),
            "clientStreet": item.get("street"),
            "clientZipCode": item.get("zipcode"),
            "clientCity": item.get("city"),
            "clientCountryId": item.get("country_code") or "pl",
            "clientPhone1": item.get("phone"),
            "clientCodeExternal": item.get("code_extern"),
            "clientType": item.get("client_type"),
            "shops": item.get("shops"),
            "groupNumber": item.get("client_group"),
            "balance": item.get("external_balance_value"),
            "limit": item.get("external_trade_credit_limit_value"),
        }
        self._validate(fields, creating=True)
        with self.lock:
            self._next_client += 1
            now = self.now()
            client: dict[str, Any] = {
                "clientId": self._next_client,
                "clientLogin": login,
                **fields,
                "registered": now[:10],
                "modified": now,
                "deliveries": [],
            }
            self.clients[client["clientId"]] = client
            self._logins[login] = client["clientId"]
        for listener in self.listeners:
            listener("created", dict(client))
        return client

    def update(self, item: Any) -> dict[str, Any]:
        """PUT /clients/clients, one item (camelCase), by login; only sent fields change."""
        if not isinstance(item, dict) or not item.get("clientLogin"):
            raise Fault(1, "No username entered.")
        client = self.by_login(item["clientLogin"])
        names = {
            "clientEmail": "clientEmail",
            "clientFirstName": "clientFirstName",
            "clientLastName": "clientLastName",
            "clientFirm": "clientFirm",
            "clientNip": "clientNip",
            "clientStreet": "clientStreet",
            "clientZipCode": "clientZipCode",
            "clientCity": "clientCity",
            "clientCountryId": "clientCountryId",
            "clientPhone1": "clientPhone1",
            "clientCodeExternal": "clientCodeExternal",
            "clientType": "clientType",
            "shopsIds": "shops",
            "clientGroupDiscountNumber": "groupNumber",
            "clientBalanceAmountExternal": "balance",
            "clientTradeCreditLimitExternal": "limit",
        }
        changes = {names[k]: (None if v == "" else v) for k, v in item.items() if k in names}
        merged = {**client, **changes}
        self._validate(merged, creating=False)
        with self.lock:
            client.update(changes)
            client["modified"] = self.now()
        for listener in self.listeners:
            listener("edited", dict(client))
        return client

    def _validate(self, f: dict[str, Any], creating: bool) -> None:
        if not (f.get("clientFirstName") or f.get("clientFirm")):
            raise Fault(10, "Customer name has not been entered")
        if f.get("clientFirstName") and not f.get("clientLastName") and not f.get("clientFirm"):
            raise Fault(11, "Customer last name has not been entered")
        if f.get("clientEmail") and not EMAIL.match(str(f["clientEmail"])):
            raise Fault(12, "Invalid e-mail address")
        shops = f.get("shops")
        if creating and not shops:
            raise Fault(13, "No shop ID entered")
        if shops is not None and (
            not isinstance(shops, list) or any(s not in self.shops for s in shops)
        ):
            raise Fault(14, "Incorrect shop ID")
        country = str(f.get("clientCountryId") or "pl").lower()
        if country not in COUNTRIES:
            raise Fault(17, "Incorrect country designation")
        if f.get("clientNip") and country == "pl" and not nip_valid(str(f["clientNip"])):
            raise Fault(15, "Incorrect VAT number for the selected country")
        zipcode = f.get("clientZipCode")
        if zipcode and country == "pl" and not POSTCODE_PL.match(str(zipcode)):
            raise Fault(20, "Invalid postal/zip code")
        if f.get("clientPhone1") and not PHONE.match(str(f["clientPhone1"])):
            raise Fault(21, "Invalid phone number.")
        group = f.get("groupNumber")
        if group is not None and group not in self.groups:
            raise Fault(UNKNOWN_GROUP, f"Discount group {group} does not exist")

    def add_delivery(self, item: Any) -> int:
        """POST /clients/deliveryAddress, one item; returns the new address id."""
        if not isinstance(item, dict):
            raise Fault(1, "an address must be an object")
        if item.get("clientLogin"):
            client = self.by_login(item["clientLogin"])
        else:
            found = [
                c
                for c in self.clients.values()
                if item.get("clientCodeExternal")
                and c["clientCodeExternal"] == item["clientCodeExternal"]
            ]
            if len(found) != 1:
                raise Fault(2, "no single client with that external code")
            client = found[0]
        street = item.get("clientDeliveryAddressStreet")
        zipcode = item.get("clientDeliveryAddressZipCode")
        city = item.get("clientDeliveryAddressCity")
        if not street:
            raise Fault(19, "Invalid address")
        if not zipcode or not POSTCODE_PL.match(str(zipcode)):
            raise Fault(20, "Invalid postal/zip code")
        if not city:
            raise Fault(18, "Invalid city")
        with self.lock:
            address_id = self._next_address
            self._next_address += 1
            client["deliveries"].append(
                {
                    "clientDeliveryAddressId": str(address_id),
                    "clientDeliveryAddressFirstName": item.get("clientDeliveryAddressFirstName"),
                    "clientDeliveryAddressLastName": item.get("clientDeliveryAddressLastName"),
                    "clientDeliveryAddressStreet": street,
                    "clientDeliveryAddressZipCode": zipcode,
                    "clientDeliveryAddressCity": city,
                    "clientDeliveryAddressCountry": item.get("clientDeliveryAddressCountry")
                    or "pl",
                }
            )
            client["modified"] = self.now()
        return address_id

    def set_code(self, client_id: Any, login: Any, code: Any) -> None:
        """PUT /clients/externalCode: fill (or change) an account's external code."""
        client = self.clients.get(int(client_id)) if client_id is not None else None
        if client is None and login:
            client = self.by_login(login)
        if client is None:
            raise Fault(2, "Empty result")
        with self.lock:
            client["clientCodeExternal"] = code
            client["modified"] = self.now()

    # -- reads ----------------------------------------------------------------------------------

    def select(
        self, since: str | None, ids: set[int] | None, codes: set[str] | None
    ) -> list[dict[str, Any]]:
        """Clients matching the filters, ordered by client id."""
        out = []
        for cid in sorted(self.clients):
            c = self.clients[cid]
            if since is not None and c["modified"] < since:
                continue
            if ids is not None and cid not in ids:
                continue
            if codes is not None and c["clientCodeExternal"] not in codes:
                continue
            out.append(c)
        return out

    def as_result(self, c: dict[str, Any]) -> dict[str, Any]:
        """A client as GET /clients/clients returns it."""
        balance, limit = c.get("balance"), c.get("limit")
        used = max(0.0, -float(balance)) if balance is not None else 0.0
        result: dict[str, Any] = {
            "clientId": c["clientId"],
            "clientsLastModificationDate": c["modified"],
            "clientLogin": c["clientLogin"],
            "clientCodeExternal": c["clientCodeExternal"] or "",
            "clientEmail": c["clientEmail"] or "",
            "clientType": c["clientType"] or ("firm" if c["clientFirm"] else "private"),
            "isUnregistered": "n",
            "clientBillingAddress": {
                k: c[k] or ""
                for k in (
                    "clientFirstName",
                    "clientLastName",
                    "clientNip",
                    "clientFirm",
                    "clientStreet",
                    "clientZipCode",
                    "clientCity",
                    "clientCountryId",
                    "clientPhone1",
                )
            },
            "clientPreferences": {"langId": "pol", "currencyId": "PLN"},
            "clientBalances": [{"clientBalanceAmount": float(balance or 0), "currencyId": "PLN"}],
            "clientTradeCredit": {
                "clientTradeCreditLimit": float(limit or 0),
                "currencyId": "PLN",
                "clientTradeCreditUsed": used,
            },
            "clientRegistrationDate": c["registered"],
            "clientActiveInShops": [
                {"shopId": s, "shopName": self.shops[s]} for s in sorted(c["shops"] or [])
            ],
        }
        if c.get("groupNumber") is not None:
            result["clientPreferences"]["clientGroupDiscountNumber"] = c["groupNumber"]
            result["clientPreferences"]["clientGroupDiscountName"] = self.groups[c["groupNumber"]]
        return result

    def blocked_from_buying(self, client_id: int) -> bool:
        """Whether the shop refuses this client purchases on trade credit (over its limit)."""
        c = self.clients[client_id]
        used = max(0.0, -float(c.get("balance") or 0))
        return used > float(c.get("limit") or 0)

    # -- what people do in the shop's panel (tests and demos) ---------------------------------

    def edit(self, client_id: int, **fields: Any) -> dict[str, Any]:
        """A panel user or the customer changes camelCase fields of an account."""
        return self.update({"clientLogin": self.clients[client_id]["clientLogin"], **fields})

    def by_code(self, code: str) -> dict[str, Any]:
        """The one client with this external code."""
        found = [c for c in self.clients.values() if c["clientCodeExternal"] == code]
        assert len(found) == 1, f"{len(found)} clients with external code {code!r}"
        return found[0]

    def snapshot(self) -> dict[str, Any]:
        """Every client as GET returns it plus its delivery addresses and buying block."""
        return {
            "clients": [
                {
                    **self.as_result(c),
                    "deliveryAddresses": c["deliveries"],
                    "blockedFromBuying": self.blocked_from_buying(cid),
                }
                for cid, c in sorted(self.clients.items())
            ]
        }
