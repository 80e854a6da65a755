"""The platform every area stands on, and knows nothing of them: configuration (`settings`),
PostgreSQL connections and statements built of parts (`db`), JSON logs (`logs`), the domain's
errors as data (`errors`), numbered migrations (`migrate`), the configured or embedded servers
(`runtime`, `embedded`), and two generic ways of keeping the cores busy: group commit
(`coalesce`) and preparing the next chunk while the database writes (`overlap`).

It imports nothing from `delivery` outside itself.
"""
