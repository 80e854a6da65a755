"""The demo day: staff, documents in every state, a route and a complaint, made through the
product's own services so that everything a newcomer opens behaves as in real use."""
