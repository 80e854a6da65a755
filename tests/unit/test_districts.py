"""Districts: Arabic and Latin spellings of a place match the same row; governorate outlines
judge a point with a tolerance for their simplified borders."""

import numpy as np
import pytest

from delivery.sites.districts import District, Gazetteer, normalise, parse_csv, seed_districts
from delivery.sites.outlines import outside_claimed

GAZETTEER = Gazetteer(seed_districts())


@pytest.mark.parametrize("written", [
    "الأعظمية", "الاعظمية", "الاعظميه", "الإعظمية", "الأعظميّة", "الأعظـمية", "اعظمية",
    "Adhamiyah", "al-adhamiyah", "ADHAMIYA", "Azamiya", "شارع الأعظمية قرب الجامع",
])
def test_spellings_of_adhamiya_find_adhamiya(written):
    assert GAZETTEER.match("IQ-BG", written).key == "adhamiya"


def test_arabic_indic_digits_and_the_article_after_waw_are_folded():
    assert normalise("مدينة الصدر قطاع ٤٤ والكرادة") == ("مدينه", "صدر", "قطاع", "44", "كراده")


def test_a_mahalla_wins_over_its_district_and_the_first_text_that_names_one_counts():
    assert GAZETTEER.match("IQ-BG", "الكرخ - المنصور").key == "mansour"
    assert GAZETTEER.match("IQ-BG", "somewhere", "Sadr City sector 10").key == "sadr_city"
    assert GAZETTEER.match("IQ-BG", None, "الكاظمية").key == "kadhimiya"


def test_a_name_is_matched_only_in_its_governorate_and_only_as_whole_words():
    assert GAZETTEER.match("IQ-BA", "الكاظمية") is None
    assert GAZETTEER.match("IQ-BG", "Karkhi") is None
    assert GAZETTEER.match("IQ-WA", "حي الجامعة") is None  # the word حي is not al-Hai district


def test_every_seeded_district_lies_in_its_governorate():
    districts = seed_districts()
    outside = outside_claimed([d.governorate for d in districts],
                              np.array([d.lat for d in districts]),
                              np.array([d.lon for d in districts]))
    assert [d.key for d, out in zip(districts, outside, strict=True) if out] == []


def test_border_points_within_the_tolerance_are_inside_and_far_ones_outside():
    lats = np.array([33.38, 33.38, 33.38, 30.5085, np.nan])
    lons = np.array([44.60, 44.78, 44.95, 47.7804, np.nan])
    claimed = ["IQ-BG", "IQ-BG", "IQ-BG", "IQ-NI", "IQ-NI"]
    assert outside_claimed(claimed, lats, lons).tolist() == [False, False, True, True, False]


def test_a_csv_row_with_a_bad_key_or_a_point_outside_iraq_is_refused_by_line():
    header = "governorate,key,name_ar,name_en,name_ckb,lat,lon,parent,aliases\n"
    with pytest.raises(ValueError, match="row 2: key 'Bad Key'"):
        parse_csv(header + "IQ-BG,Bad Key,س,S,,33.3,44.4,,\n")
    with pytest.raises(ValueError, match="row 3: point 51"):
        parse_csv(header + "IQ-BG,ok,س,S,,33.3,44.4,,\nIQ-BG,far,س,F,,51.5,0.1,,\n")
    assert parse_csv(header + "IQ-BG,ok,س,S,,33.3,44.4,,a|b\n") == (District(
        governorate="IQ-BG", key="ok", name_ar="س", name_en="S", lat=33.3, lon=44.4,
        aliases=("a", "b")),)
