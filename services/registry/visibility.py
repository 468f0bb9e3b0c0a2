"""What of the registry the public sees. The registry's record is public (General
distribution), but for a pending membership application: the application note circulates to the
member states only (the seed's annotated agenda, "Distr: Member States only", names Kuwait's
application), so until the state is admitted it is shown to the member states, the applicant
itself, and those who see everything. Once admitted, its whole record is public, the
application included.

The registry's feed (`/events`) stays for the log readers (Secretariat, auditors, services): the
app declares no stream distributions."""

from __future__ import annotations

from shared.access import MEMBER_STATES_ONLY, Viewer


def sees_state(viewer: Viewer, code: str, status: str | None) -> bool:
    """Whether the caller may see a state that has `status` at the moment read."""
    if status != "applicant":
        return True
    return viewer.sees(MEMBER_STATES_ONLY) or viewer.principal.state == code
