"""Who and what the demo day is made of: staff accounts and the citizens' documents, each with
the state it ends the day in. Pure: the same random seed gives the same documents."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import msgspec

BRANCH = "BG-006"  # the demo Mansour branch, fed by the Baghdad sorting centre
CENTRE = "SC-BG"
GOVERNORATE = "IQ-BG"  # where the inspector and the help desk of the demo answer
SEED = 1446

# (username, role, site): one account for every role; couriers twice, so a route has two colours.
# The inspector and the help desk have no site: they answer for GOVERNORATE.
STAFF = (
    ("sorter", "sorting_clerk", CENTRE),
    ("clerk", "branch_clerk", BRANCH),
    ("courier1", "courier", BRANCH),
    ("courier2", "courier", BRANCH),
    ("supervisor", "supervisor", BRANCH),
    ("admin", "admin", BRANCH),
    ("inspector", "inspector", None),
    ("helpdesk", "helpdesk", None),
)
# (username, vehicle, bag capacity, shift), Asia/Baghdad.
COURIERS = (("courier1", "motorcycle", 20, "08:30", "15:30"),
            ("courier2", "car", 30, "08:30", "15:30"))


class Fate(msgspec.Struct, frozen=True):
    """Where a document ends the demo day, how it is to reach the citizen, and by which path
    when there is more than one (`variant`)."""

    state: str
    mode: str | None  # home, pickup, or None: the citizen has not chosen yet
    variant: str = ""


def _many(count: int, state: str, mode: str | None, variant: str = "") -> list[Fate]:
    return [Fate(state, mode, variant)] * count


FATES: tuple[Fate, ...] = (
    *_many(2, "registered", "home"), *_many(2, "registered", None),
    Fate("cancelled", "home", "before_receipt"), Fate("returning", "home", "recalled"),
    *_many(3, "received", "home"),
    Fate("in_transit", None), Fate("in_transit", "home"), Fate("in_transit", "pickup"),
    *_many(9, "at_branch", "home"), Fate("at_branch", "home", "failed_once"),
    *_many(4, "out_for_delivery", "home"),
    *_many(2, "delivery_failed", "home"),
    *_many(4, "delivered", "home"),
    *_many(4, "ready_for_pickup", "pickup"),
    *_many(3, "collected", "pickup"),
    Fate("lost", "home"), Fate("damaged", "home"),
    Fate("returning", "home"), Fate("returning", "home", "sent_back"),
    Fate("returned_to_agency", "home"),
)

MALE = ("أحمد", "محمد", "علي", "حسين", "حسن", "عباس", "مصطفى", "كرار", "حيدر", "عمر", "يوسف",
        "زيد", "سجاد", "مرتضى", "ياسر", "سيف", "مهند", "عمار", "جاسم", "قاسم")
FEMALE = ("فاطمة", "زينب", "مريم", "نور", "سارة", "هدى", "رقية", "زهراء", "آية", "دعاء", "شهد",
          "رسل", "بتول", "إسراء")
FATHERS = (*MALE, "عبد الله", "عبد الكريم", "جبار", "كاظم", "ناصر", "صادق", "رحيم", "هادي")
FAMILIES = ("الجبوري", "الدليمي", "العبيدي", "الربيعي", "الساعدي", "التميمي", "الخفاجي",
            "الزبيدي", "الشمري", "الموسوي", "الحسيني", "العزاوي", "الكعبي", "البياتي")
DISTRICT = "المنصور"
MAHALLAS = (601, 603, 605, 607, 609, 611, 613)
LANDMARKS = ("قرب ساحة الرواد", "مقابل مول المنصور", "خلف معرض بغداد الدولي",
             "قرب نادي الصيد", "شارع 14 رمضان", "قرب جامع أم الطبول", "قرب مطعم الساعة")
DOCUMENT_TYPES = ("passport", "passport", "passport", "national_id", "national_id")
RADIUS_KM = 2.5
KM_PER_DEGREE = 111.32


class DemoDocument(msgspec.Struct, frozen=True, kw_only=True):
    """One citizen's document as the demo agency hands it over, and its fate."""

    external_ref: str
    document_type: str
    name: str
    phone: str
    national_id: str
    language: str
    address_text: str
    landmark: str
    lat: float
    lon: float
    fate: Fate

    def body(self) -> dict:
        """The document as the agency's API takes it."""
        delivery: dict = {"governorate": "IQ-BG", "district": DISTRICT,
                          "address_text": self.address_text, "landmark": self.landmark,
                          "location": {"lat": self.lat, "lon": self.lon}}
        if self.fate.mode == "pickup":
            delivery |= {"mode": "pickup", "branch_code": BRANCH}
        elif self.fate.mode is not None:
            delivery["mode"] = self.fate.mode
        return {"external_ref": self.external_ref, "document_type": self.document_type,
                "citizen": {"name": self.name, "phone": self.phone,
                            "national_id": self.national_id, "language": self.language},
                "delivery": delivery}


def demo_documents(rng: random.Random, centre: tuple[float, float],
                   inside: Callable[[float, float], bool]) -> list[DemoDocument]:
    """Every fate once, in a shuffled order, each with a citizen living near `centre` at a
    point `inside` says belongs to the demo branch."""
    fates = list(FATES)
    rng.shuffle(fates)
    phones = rng.sample(range(10**7), len(fates))
    return [_document(rng, n, fate, phones[n - 1], centre, inside)
            for n, fate in enumerate(fates, start=1)]


def _document(rng: random.Random, n: int, fate: Fate, phone: int, centre: tuple[float, float],
              inside: Callable[[float, float], bool]) -> DemoDocument:
    kind = rng.choice(DOCUMENT_TYPES)
    first = rng.choice(MALE if rng.random() < 0.55 else FEMALE)
    lat, lon = point_near(rng, centre, inside)
    return DemoDocument(
        external_ref=f"{'PP' if kind == 'passport' else 'NID'}-DEMO-{n:04d}",
        document_type=kind,
        name=f"{first} {rng.choice(FATHERS)} {rng.choice(FAMILIES)}",
        phone=f"0770{phone:07d}",
        national_id=f"{rng.randint(1955, 2006)}{rng.randrange(10**8):08d}",
        language="ckb" if rng.random() < 0.1 else "ar",
        address_text=f"محلة {rng.choice(MAHALLAS)}، زقاق {rng.randint(1, 40)}، "
                     f"دار {rng.randint(1, 60)}",
        landmark=rng.choice(LANDMARKS), lat=lat, lon=lon, fate=fate)


def point_near(rng: random.Random, centre: tuple[float, float],
               inside: Callable[[float, float], bool], *, tries: int = 10_000) -> tuple[float, float]:
    """A point uniformly within RADIUS_KM of `centre` that `inside` accepts."""
    lat0, lon0 = centre
    for _ in range(tries):
        r = RADIUS_KM * math.sqrt(rng.random())
        angle = rng.uniform(0, 2 * math.pi)
        lat = round(lat0 + r * math.sin(angle) / KM_PER_DEGREE, 5)
        lon = round(lon0 + r * math.cos(angle) / (KM_PER_DEGREE * math.cos(math.radians(lat0))),
                    5)
        if inside(lat, lon):
            return lat, lon
    raise ValueError(f"no point within {RADIUS_KM} km of {centre} is inside the area")


def couriers_for(count: int) -> list[str]:
    """The couriers taking `count` items out, in turn."""
    names = [c[0] for c in COURIERS]
    return [names[i % len(names)] for i in range(count)]
