"""Generated seeds for tests and benchmarks (any size, reproducible): Polish and German clients, KSeF numbers,
corrections and partly paid invoices, in the shape of the API's own JSON-LD.

Same arguments, same seed, byte for byte. Amounts are Decimal; `seed_json` writes a seed file.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from reconcile.matching.references import crc8

from .hydra import jsonable

SELLER_NIP = "5265877635"
# Our own accounts, by currency: the `bankAccount` an invoice asks to be paid to.
OUR_ACCOUNTS = {"PLN": "PL61109010140000071219812874", "EUR": "PL27114020040000300201355387"}

_CLIENT_NAMES = (
    "Przedsiębiorstwo Handlowe Żuraw Sp. z o.o.", "Łódzkie Zakłady Włókiennicze S.A.", "Gęś i Wróbel s.c.",
    "Müller & Söhne GmbH", "Bäckerei Größmann KG", "Zakład Usług Ślusarskich Jan Kędzierski",
    "Świętokrzyska Spółdzielnia Mleczarska", "Kühne Logistik AG", "Bóbr Transport Sp.k.",
    "Ogrody Źródlane Marta Nowak", "Weißwurst Manufaktur Straßer e.K.", "Polskie Młyny Zbożowe Sp. z o.o.",
)  # fmt: skip


def make_seed(n_invoices: int = 12, *, n_clients: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Clients and invoices issued in April 2026; about one in ten corrected, one in six partly paid."""
    rng = random.Random(seed)
    n_clients = n_clients or min(len(_CLIENT_NAMES), max(1, n_invoices // 2 or 1))
    clients = [_client(i, rng) for i in range(1, n_clients + 1)]
    invoices: list[dict[str, Any]] = []
    next_id = 1
    for number in range(1, n_invoices + 1):
        invoice = _invoice(next_id, number, rng.choice(clients), rng)
        invoices.append(invoice)
        next_id += 1
        if rng.random() < 0.1 and len(invoices) < n_invoices:
            invoices.append(_correction(next_id, invoice, rng))
            next_id += 1
        if len(invoices) >= n_invoices:
            break
    payment_methods = [
        {"@id": "/payment-methods/pm_1", "id": "pm_1", "type": "card", "ccBrand": "visa",
         "ccLastDigits": "4242", "ccExpMonth": 12, "ccExpYear": 2029, "externalId": "pm_demo"},
    ]  # fmt: skip
    return {"clients": clients, "invoices": invoices, "paymentMethods": payment_methods}


def seed_json(seed: dict[str, Any]) -> str:
    """A seed as the text of a seed file (amounts as JSON numbers with their decimals)."""
    return json.dumps(jsonable(seed), ensure_ascii=False, indent=2)


def ksef_number(nip: str, issued: date, serial: str) -> str:
    """NIP-YYYYMMDD-HEX12-CC, CC being the CRC-8 (poly 0x07, init 0) of the first 32 characters."""
    body = f"{nip}-{issued:%Y%m%d}-{serial}"
    return f"{body}-{crc8(body.encode('ascii')):02X}"


def _client(client_id: int, rng: random.Random) -> dict[str, Any]:
    name = _CLIENT_NAMES[(client_id - 1) % len(_CLIENT_NAMES)]
    german = any(mark in name for mark in ("GmbH", "AG", "KG", "e.K."))
    if client_id > len(_CLIENT_NAMES):
        name = f"{name} (oddział {client_id})"
    return {
        "@id": f"/clients/{client_id}", "id": client_id, "name": name,
        "tin": _vat_id(rng) if german else _nip(rng), "tinType": "vat" if german else "nip",
        "tinCountry": "DE" if german else "PL", "country": "DE" if german else "PL",
        "currency": "EUR" if german else "PLN", "dueDays": rng.choice((7, 14, 30)), "status": "active",
    }  # fmt: skip


def _invoice(invoice_id: int, number: int, client: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    currency = client["currency"]
    net = Decimal(rng.randrange(10_00, 50_000_00)) / 100
    gross = (net * Decimal("1.23")).quantize(Decimal("0.01"))
    issued = date(2026, 4, 1) + timedelta(days=rng.randrange(30))
    invoice: dict[str, Any] = {
        "@id": f"/invoices/{invoice_id}", "id": invoice_id, "name": f"FV/2026/04/{number:04d}", "type": "vat",
        "client": client["@id"], "tinType": client["tinType"], "tinCountry": client["tinCountry"],
        "tin": client["tin"], "bankAccount": OUR_ACCOUNTS[currency], "amountNet": net, "amount": gross,
        "currency": currency, "issueDate": issued.isoformat(), "saleDate": issued.isoformat(),
        "dueDate": (issued + timedelta(days=client["dueDays"])).isoformat(), "paymentMethod": "transfer",
        "paidInAdvance": False, "status": rng.choice(("sent", "sent", "sent", "created", "edited")),
        "invoiceRows": [{"productName": "Usługi doradcze / Beratung", "unit": "h", "quantity": 1,
                         "vatRate": "23", "netPrice": f"{net:.2f}", "netDiscountAmount": "0.00"}],
        "eInvoicing": None, "invoiceTransactions": [], "childrenInvoices": [], "parent": None,
    }  # fmt: skip
    if currency == "PLN":
        serial = f"{rng.randrange(16**12):012X}"
        invoice["eInvoicing"] = {"provider": "ksef", "status": "accepted",
                                 "einvoicingNumber": ksef_number(SELLER_NIP, issued, serial)}  # fmt: skip
    if rng.random() < 1 / 6:
        part = (gross * Decimal(rng.choice(("0.25", "0.5")))).quantize(Decimal("0.01"))
        paid_on = (issued + timedelta(days=rng.randrange(1, 10))).isoformat()
        invoice["invoiceTransactions"] = [{"amount": part, "date": paid_on,
                                           "transaction": {"bankReference": f"DEMO{invoice_id:06d}",
                                                           "title": invoice["name"]}}]  # fmt: skip
    return invoice


def _correction(invoice_id: int, corrected: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A correction note: negative amounts, `parent` = the corrected invoice (its childrenInvoices follow)."""
    share = Decimal(rng.choice(("0.1", "0.2", "1")))
    cent = Decimal("0.01")
    return {
        **corrected, "@id": f"/invoices/{invoice_id}", "id": invoice_id, "type": "correction",
        "name": f"FK/{corrected['name'][3:]}", "amountNet": -(corrected["amountNet"] * share).quantize(cent),
        "amount": -(corrected["amount"] * share).quantize(cent), "parent": corrected["@id"],
        "correctionReason": "Rabat posprzedażowy", "invoiceTransactions": [], "eInvoicing": None,
        "invoiceRows": [],
    }  # fmt: skip


def _nip(rng: random.Random) -> str:
    """A Polish NIP with a valid check digit (weights 6-5-7-2-3-4-5-6-7, mod 11, never 10)."""
    while True:
        digits = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, (6, 5, 7, 2, 3, 4, 5, 6, 7), strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _vat_id(rng: random.Random) -> str:
    return "DE" + "".join(str(rng.randrange(10)) for _ in range(9))
