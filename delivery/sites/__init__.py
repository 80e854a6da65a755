"""Where the post is: Iraq's governorates (`geo`, from `data/`), sites and their service areas as
the command line manages them (`services`), and the reference data and demo world a fresh
database starts with (`seed`).

It imports the platform, and the routing area index for service areas.
"""
