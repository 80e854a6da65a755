-- The console's own roles: an inspector watches a governorate (or, with no governorate, the
-- whole country) and the help desk serves a governorate's citizens. Neither belongs to a site, so
-- neither answers to the branches whose items they look at.

ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN (
    'sorting_clerk', 'branch_clerk', 'courier', 'supervisor', 'admin', 'inspector', 'helpdesk'));
ALTER TABLE staff ADD COLUMN governorate text REFERENCES governorates (code);
ALTER TABLE staff ADD CONSTRAINT staff_governorate_roles CHECK (
    (role NOT IN ('inspector', 'helpdesk') OR site_id IS NULL)
    AND (governorate IS NULL OR role IN ('inspector', 'helpdesk'))
    AND (role <> 'helpdesk' OR governorate IS NOT NULL));
