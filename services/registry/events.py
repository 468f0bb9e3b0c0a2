"""What happens in the registry service: its event types, registered by name and schema version."""

from shared.eventstore import EventTypes

event_types = EventTypes()
