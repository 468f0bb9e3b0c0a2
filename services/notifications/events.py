"""What happens in the notifications service: its event types, registered by name and schema version."""

from shared.eventstore import EventTypes

event_types = EventTypes()
