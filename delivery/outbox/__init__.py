"""The outbox: what a state change must cause outside the database (an SMS, an agency's webhook),
written as rows in the change's own transaction (`rows`), carried to arq by the relay (`relay`)
and run by channel (`runner`).

It imports only the platform; the areas write rows through `rows`, and the channels that send
them (`messaging`, `agencies.webhooks`) are handed to the runner by the worker's wiring.
"""
