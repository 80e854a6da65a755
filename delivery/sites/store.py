"""SQL of the reference data every database holds (sites themselves are `routing.store`'s)."""

UPSERT_GOVERNORATE = """
INSERT INTO governorates (code, iso, name_en, name_ar, name_ckb, capital, lat, lon)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (code) DO UPDATE SET iso = EXCLUDED.iso, name_en = EXCLUDED.name_en,
    name_ar = EXCLUDED.name_ar, name_ckb = EXCLUDED.name_ckb, capital = EXCLUDED.capital,
    lat = EXCLUDED.lat, lon = EXCLUDED.lon
"""

DISTRICT_COLUMNS = """governorate, key, name_ar, name_en, name_ckb, lat, lon, parent, aliases,
    branch_code"""
# The seed never overwrites a district someone edited; `UPSERT_DISTRICT` is the edit.
INSERT_DISTRICT_IF_NEW = f"""
INSERT INTO districts ({DISTRICT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (governorate, key) DO NOTHING
"""
UPSERT_DISTRICT = f"""
INSERT INTO districts ({DISTRICT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (governorate, key) DO UPDATE SET name_ar = EXCLUDED.name_ar,
    name_en = EXCLUDED.name_en, name_ckb = EXCLUDED.name_ckb, lat = EXCLUDED.lat,
    lon = EXCLUDED.lon, parent = EXCLUDED.parent, aliases = EXCLUDED.aliases,
    branch_code = EXCLUDED.branch_code, updated_at = now()
"""
SELECT_DISTRICTS = f"""
SELECT {DISTRICT_COLUMNS} FROM districts
WHERE $1::text IS NULL OR governorate = $1 ORDER BY governorate, parent NULLS FIRST, key
"""
SELECT_DISTRICT = f"SELECT {DISTRICT_COLUMNS} FROM districts WHERE governorate = $1 AND key = $2"
# Districts decide assignment as areas do: an edit moves the version every process checks.
BUMP_AREA_VERSION = "UPDATE service_area_version SET version = version + 1"
