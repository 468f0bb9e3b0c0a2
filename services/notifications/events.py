"""The notifications service's event types, registered by name and schema version."""

from shared.eventstore import EventTypes

event_types = EventTypes()
