"""The realtime side: the Socket.IO protocol of namespace ``/sim``, its handlers and the rooms.

- ``protocol``: one pydantic model per client and server event; ``events``: the registry of
  events with their examples; ``validation``: parsing payloads, ProtocolError and error acks;
  ``protocol_docs``: docs/protocol.md and ``GET /api/schema``, generated from them.
- ``sockets``: the thin handlers (validate, call the room manager, ack); ``inspector``: the agent
  inspector's and the training history's events.
- ``rooms``: the RoomManager: rooms' lifecycle, roles, limits, membership and presence.
- ``transport`` and ``fastsend``: sending encoded events to rooms and connections.
"""
