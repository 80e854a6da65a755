"""SQL of the reference data every database holds (sites themselves are `routing.store`'s)."""

UPSERT_GOVERNORATE = """
INSERT INTO governorates (code, iso, name_en, name_ar, name_ckb, capital, lat, lon)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (code) DO UPDATE SET iso = EXCLUDED.iso, name_en = EXCLUDED.name_en,
    name_ar = EXCLUDED.name_ar, name_ckb = EXCLUDED.name_ckb, capital = EXCLUDED.capital,
    lat = EXCLUDED.lat, lon = EXCLUDED.lon
"""
