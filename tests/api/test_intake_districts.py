"""Intake's data checks: a point outside the governorate named is accepted with a warning kept on
the item; a document without a point goes to the branch of the district it names."""

import pytest

from tests.helpers import auth, create_agency, document

pytestmark = pytest.mark.usefixtures("demo_sites")

BASRA = {"lat": 30.5085, "lon": 47.7804}


@pytest.fixture
async def key(conn):
    return await create_agency(conn, "MOI-PASSPORTS")


async def test_a_basra_point_claimed_as_nineveh_is_accepted_with_a_warning(client, key):
    docs = [document("NI-1", governorate="IQ-NI", district="Mosul", location=BASRA),
            document("NI-2", governorate="IQ-NI", district="Mosul",
                     location={"lat": 36.335, "lon": 43.119})]
    results = (await client.post("/v1/documents/batch", json={"documents": docs},
                                 headers=auth(key))).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert results[0]["warnings"] == [{
        "code": "location_outside_governorate", "field": "/documents/0/delivery/location",
        "message": results[0]["warnings"][0]["message"]}]
    assert "warnings" not in results[1]
    flagged = (await client.get(f"/v1/documents/{results[0]['tracking_number']}",
                                headers=auth(key))).json()
    assert flagged["warnings"][0]["code"] == "location_outside_governorate"
    assert flagged["warnings"][0]["field"] == "/delivery/location"
    assert flagged["branch"]["code"].startswith("BA")  # assigned by the point, not the claim


async def test_a_single_document_outside_its_governorate_shows_the_warning(client, key):
    response = await client.post("/v1/documents", json=document("S-1", governorate="IQ-NI",
                                                                location=BASRA),
                                 headers=auth(key))
    assert response.status_code == 201
    assert response.json()["warnings"][0]["code"] == "location_outside_governorate"


async def test_a_point_just_across_a_simplified_border_is_not_flagged(client, key):
    # At 33.38 N Baghdad's drawn outline ends near 44.73 E: 44.78 is 4 km past it (within the
    # tolerance for a hand-drawn line), 44.95 some 18 km (clearly in Diyala).
    near, far = ({"lat": 33.38, "lon": lon} for lon in (44.78, 44.95))
    docs = [document("EDGE-NEAR", location=near), document("EDGE-FAR", location=far)]
    results = (await client.post("/v1/documents/batch", json={"documents": docs},
                                 headers=auth(key))).json()["results"]
    assert "warnings" not in results[0]
    assert results[1]["warnings"][0]["code"] == "location_outside_governorate"


async def test_documents_without_a_point_go_to_their_districts_branches(client, key):
    districts = ["الكاظمية", "الاعظميه", "مدينة الصدر", "Karrada", "الـكرخ"]
    docs = [document(f"D-{i}", district=name, address_text="قرب الجامع", location=None)
            for i, name in enumerate(districts)]
    docs.append(document("D-words", district=None, address_text="حي الكرادة داخل، زقاق ٧",
                         location=None))
    docs.append(document("D-unknown", district="nowhere", address_text="near the mosque",
                         location=None))
    results = (await client.post("/v1/documents/batch", json={"documents": docs},
                                 headers=auth(key))).json()["results"]
    read = [(await client.get(f"/v1/documents/{r['tracking_number']}", headers=auth(key))).json()
            for r in results]
    branches = [d["branch"]["code"] for d in read]
    assert branches[:6] == ["BG-005", "BG-004", "BG-008", "BG-007", "BG-002", "BG-007"]
    assert [d["assignment_rule"] for d in read] == ["district"] * 6 + ["governorate_main"]
    assert branches[6] == "BG-001"
