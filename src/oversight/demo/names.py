"""The words the demo company is made of: people, companies, places, systems, remarks."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MALE_FIRST = (
    "Ivan", "Pavel", "Sergey", "Dmitry", "Alexey", "Andrey", "Mikhail", "Nikolay", "Oleg",
    "Roman", "Artem", "Maxim", "Denis", "Igor", "Viktor", "Yuri", "Kirill", "Anton",
    "Vladimir", "Evgeny", "Konstantin", "Ilya", "Grigory", "Stanislav", "Boris", "Timur",
)  # fmt: skip
FEMALE_FIRST = (
    "Anna", "Elena", "Olga", "Natalia", "Irina", "Maria", "Tatiana", "Svetlana", "Ekaterina",
    "Yulia", "Daria", "Ksenia", "Marina", "Victoria", "Alina", "Polina", "Vera", "Lyudmila",
)  # fmt: skip
SURNAMES = (
    "Petrov", "Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vasiliev", "Sokolov", "Mikhailov",
    "Novikov", "Fedorov", "Morozov", "Volkov", "Alexeev", "Lebedev", "Semenov", "Egorov",
    "Pavlov", "Kozlov", "Stepanov", "Nikolaev", "Orlov", "Andreev", "Makarov", "Zakharov",
    "Zaitsev", "Soloviev", "Borisov", "Yakovlev", "Grigoriev", "Romanov", "Vorobiev",
    "Sergeev", "Frolov", "Belov", "Komarov", "Gusev", "Titov", "Kiselev", "Baranov",
    "Kovalenko", "Tkachenko", "Savchenko", "Zhukov", "Medvedev", "Gromov", "Krylov",
    "Chernov", "Bogdanov", "Voronin", "Karpov", "Kalinin", "Sorokin", "Polyakov",
    "Vinogradov", "Korolev", "Denisov", "Filippov", "Tarasov", "Osipov", "Belyaev",
    "Dmitriev", "Gerasimov", "Nazarov", "Ponomarev", "Markov", "Bykov", "Loginov",
    "Golubev", "Kovalev", "Gavrilov", "Tikhonov", "Kulikov", "Efimov", "Zimin", "Lukin",
    "Fomin", "Davydov", "Vlasov", "Zhdanov", "Trofimov", "Kazakov", "Maslov", "Nikitin",
    "Kotov", "Kondratiev", "Ostrovsky", "Zhelezny", "Belinsky",
)  # fmt: skip

COMPANY_STEMS = (
    "Northwind", "Baltic", "Volga", "Ural", "Severny", "Neva", "Polar", "Amber", "Granite",
    "Siberian", "Crystal", "Meridian", "Aurora", "Pulkovo", "Kama", "Taiga", "Arctic",
    "Vector", "Sterling", "Sapphire", "Orion", "Atlas", "Zenith", "Ladoga", "Oka", "Altai",
    "Sokol", "Vostok", "Yenisei", "Onega", "Pine Ridge", "Silver Lake", "Red October",
    "Nord Star", "Triumph", "Kremlin View", "Kaluga Gate", "Nevsky", "Fontanka", "Sever",
)  # fmt: skip
COMPANY_TRADES = (
    "Logistics", "Cold Storage", "Retail Group", "Business Center", "Medical Centre",
    "Hotels", "Pharma", "Data Centre", "Shopping Mall", "Manufacturing", "Food Processing",
    "Property Management", "Airport Services", "Warehousing", "Bank", "Printing House",
    "Brewery", "Sports Arena", "Clinic", "Residential Complex", "Office Park",
    "Distribution Centre", "Technopark", "Bakery Plant", "Auto Centre",
)  # fmt: skip
COMPANY_FORMS = ("LLC", "JSC", "Ltd", "PJSC")

CITIES = (
    ("Moscow", "495"), ("Moscow", "499"), ("Saint Petersburg", "812"), ("Kazan", "843"),
    ("Nizhny Novgorod", "831"), ("Yekaterinburg", "343"), ("Tver", "4822"),
    ("Kaluga", "4842"), ("Yaroslavl", "4852"), ("Tula", "4872"), ("Ryazan", "4912"),
)  # fmt: skip
STREETS = (
    "Lesnaya St", "Sadovaya St", "Tverskaya St", "Leninsky Prospekt", "Profsoyuznaya St",
    "Nakhimovsky Prospekt", "Kutuzovsky Prospekt", "Mira Prospekt", "Ligovsky Prospekt",
    "Bolshaya Morskaya St", "Zavodskaya St", "Promyshlennaya St", "Sovetskaya St",
    "Gagarina St", "Pushkinskaya St", "Novaya St", "Shosse Entuziastov",
)  # fmt: skip

SYSTEMS = (
    "fire alarm panel", "sprinkler system", "smoke extraction fan", "emergency lighting",
    "fire pump station", "access control", "CCTV", "ventilation unit", "fire dampers",
    "gas suppression system", "voice evacuation system", "fire hydrant cabinet",
    "heating substation", "smoke detectors", "fire door closers", "UPS of the alarm panel",
)  # fmt: skip
PLACES = (
    "building A", "building B", "warehouse 2", "floor 3", "floor 7", "parking level -1",
    "server room", "loading dock", "office wing B", "kitchen", "boiler room", "atrium",
    "stairwell 4", "cold store 1", "main entrance", "archive room", "production hall",
)  # fmt: skip
REQUEST_TITLES = (
    "{System} fault in {place}",
    "{System}: false alarms in {place}",
    "Scheduled maintenance of the {system}, {place}",
    "{System} not responding, {place}",
    "Inspect the {system} after a power outage",
    "Replace batteries of the {system}",
    "{System}: trouble signal in {place}",
    "Annual test of the {system}",
    "Relocate the {system} in {place} after refurbishment",
    "Noise from the {system} in {place}",
)  # fmt: skip
REQUEST_DETAILS = (
    "Reported by the site manager; the tenant is worried.",
    "The duty officer noticed it during the night round.",
    "Found during the monthly self-check.",
    "The insurer asks for a written report afterwards.",
    "Access through security; call the facility manager on arrival.",
    "Recurring problem; see the previous visits.",
    "Fire inspection is scheduled next month.",
    "",
)  # fmt: skip
WORK_NOTES = (
    "Diagnostics on site", "Replaced faulty detector", "Loop resistance measurement",
    "Firmware update of the panel", "Functional test with the customer",
    "Cleaned and recalibrated sensors", "Replaced backup batteries", "Cable route repair",
    "Pressure test and valve check", "Documentation and test report",
    "Travel and site access", "Adjusted damper actuators", "Programming of zones",
)  # fmt: skip
REJECTION_COMMENTS = (
    "The detector in room 214 still triggers at night.",
    "Test report missing; please attach it before closing.",
    "Damper in zone 3 still does not close fully.",
    "Our security officer was not present at the final test; please repeat it.",
    "The panel still shows a trouble signal on loop 2.",
    "Ceiling tiles were not put back after the work.",
    "Pressure drops again after two days.",
)  # fmt: skip
INVOICE_CANCELLATIONS = (
    "Issued with the wrong amount; a corrected invoice follows.",
    "The customer's bank details changed; reissued.",
    "Duplicate of an invoice already issued for the same period.",
    "Services disputed; settled by a credit agreement.",
)  # fmt: skip
APPROVAL_COMMENTS = ("", "", "", "Thank you, all good.", "Accepted.", "OK, works now.")

COST_ITEMS = {
    "materials": (
        "Smoke detectors", "Fire-resistant cable FRLS 2x1.5", "Sprinkler heads",
        "Manual call points", "Backup batteries 12V 7Ah", "Signal sirens", "Mounting kits",
    ),
    "equipment": (
        "Addressable fire alarm panel", "Fire pump controller", "Smoke extraction fan motor",
        "Gas suppression cylinder refill", "Voice evacuation amplifier",
    ),
    "subcontract": (
        "Hydraulic test of sprinkler risers", "Height works: facade detectors",
        "Fire-retardant treatment of timber", "Duct cleaning (subcontractor)",
    ),
    "travel": (
        "Site visits: fuel and tolls", "Business trip: rail tickets and hotel", "Taxi to site",
    ),
    "other": ("Permits and inspection fees", "Tool rental", "Courier services"),
}  # fmt: skip

PROJECT_KINDS = (
    "Fire-safety maintenance contract",
    "Sprinkler and pump station service",
    "Fire alarm modernisation",
    "Engineering systems maintenance",
    "Smoke extraction and ventilation service",
    "Emergency lighting and evacuation systems",
)  # fmt: skip

_TRANSLIT_SAFE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Person:
    first: str
    last: str

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def login(self) -> str:
        """`i.petrov` style; callers make it unique."""
        return f"{self.first[0]}.{self.last}".lower()


def pick(rng: random.Random, choices: Sequence[T]) -> T:
    """`rng.choice`, at half the cost: it runs once or more per generated request."""
    return choices[int(rng.random() * len(choices))]


def person(rng: random.Random) -> Person:
    if rng.random() < 0.6:
        return Person(rng.choice(MALE_FIRST), rng.choice(SURNAMES))
    return Person(rng.choice(FEMALE_FIRST), feminine(rng.choice(SURNAMES)))


def feminine(surname: str) -> str:
    if surname.endswith("sky"):
        return surname[:-3] + "skaya"
    if surname.endswith("ny"):
        return surname[:-2] + "naya"
    if surname.endswith(("ov", "ev", "in")):
        return surname + "a"
    return surname


def slug(text: str) -> str:
    return _TRANSLIT_SAFE.sub("-", text.lower()).strip("-")


def phone(rng: random.Random, area: str) -> str:
    digits = 10 - len(area)
    number = f"{rng.randrange(2 * 10 ** (digits - 1), 10**digits)}"
    grouped = f"{number[:-4]}-{number[-4:-2]}-{number[-2:]}"
    return f"+7 ({area}) {grouped}"


def email(who: Person, domain: str) -> str:
    return f"{who.login}@{domain}"
