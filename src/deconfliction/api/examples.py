"""Examples of every request body, shown in the OpenAPI document (``/docs``), drawn from the seed
scenario's world: Deir ez-Zor on the Euphrates, the Palmyra road, and its three parties.

One morning, 12 January 2027: UN OCHA (``un-ocha``) declares a field hospital and a convoy from
Palmyra; the coalition (``coalition``) an air operation east of the river; they talk on a
thread. The ids are those the line would have given the things referred to.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.openapi.models import Example

__all__ = [
    "ACK",
    "CONVOY_ID",
    "COSIGNATURE",
    "HOSPITAL_ID",
    "KEY",
    "MEMBER",
    "MESSAGE",
    "MESSAGE_ACK",
    "NOTICE",
    "NOTICE_REPLACEMENT",
    "OPERATION_ID",
    "REQUEST_ID",
    "ROTATE",
    "THREAD",
    "TRACKS",
    "TRACKS_NDJSON",
]

HOSPITAL_ID = "01a30847-2fa0-7027-9394-1df214a64132"
"""UN OCHA's field hospital (a site)."""
CONVOY_ID = "01a30848-1a00-70ec-9644-9c395cddf0ef"
"""UN OCHA's convoy from Palmyra (a movement)."""
OPERATION_ID = "01a3084f-6d00-713c-ab24-bab877e2587a"
"""The coalition's air operation east of the Euphrates."""
REQUEST_ID = "01a30860-d220-7f96-a690-b83564573ae0"
"""UN OCHA's request that the coalition keep clear of the convoy's arrival area."""

_HOSPITAL: dict[str, Any] = {
    "kind": "site",
    "title": "Field hospital, Deir ez-Zor",
    "protected": True,
    "audience": "all",
    "volumes": [
        {
            "footprint": {"type": "Point", "coordinates": [40.14, 35.33]},
            "radius_m": 500,
            "time": {"start": "2027-01-12T00:00:00Z", "end": "2027-02-12T00:00:00Z"},
        }
    ],
}

_OPERATION: dict[str, Any] = {
    "kind": "operation",
    "title": "Air operation east of the Euphrates, Deir ez-Zor",
    "audience": ["counterpart", "un-ocha"],
    "volumes": [
        {
            "footprint": {
                "type": "Polygon",
                "coordinates": [
                    [[40.05, 35.3], [40.4, 35.25], [40.45, 35.45], [40.15, 35.5], [40.05, 35.3]]
                ],
            },
            "altitude": {"lower_m": 1500, "upper_m": 9000},
            "time": {"start": "2027-01-12T08:00:00Z", "end": "2027-01-12T14:00:00Z"},
        }
    ],
    "buffers": {"h_m": 2000, "v_m": 300, "t_s": 600},
}

_CONVOY: dict[str, Any] = {
    "kind": "movement",
    "title": "Humanitarian convoy Palmyra - Deir ez-Zor (11 trucks)",
    "protected": True,
    "audience": "all",
    "volumes": [
        {
            "footprint": {
                "type": "LineString",
                "coordinates": [
                    [38.28, 34.56],
                    [38.87, 34.88],
                    [39.4, 35.1],
                    [40.0, 35.3],
                    [40.14, 35.33],
                ],
            },
            "half_width_m": 2000,
            "altitude": {"lower_m": 0, "upper_m": 1000},
            "time": {"start": "2027-01-12T05:30:00Z", "end": "2027-01-12T19:00:00Z"},
        }
    ],
    "ack_by": "2027-01-12T07:00:00Z",
}

NOTICE: dict[str, Example] = {
    "site": {
        "summary": "A field hospital: a protected site, a point and a radius",
        "description": "UN OCHA tells every party of a field hospital for a month; protected "
        "at every altitude, so no altitude band.",
        "value": _HOSPITAL,
    },
    "operation": {
        "summary": "An air operation: a polygon, an altitude band, a window, wider buffers",
        "description": "The coalition's air operation east of the Euphrates, shared with the "
        "counterpart forces and UN OCHA.",
        "value": _OPERATION,
    },
    "movement": {
        "summary": "A convoy: a corridor along the Palmyra road, acknowledged by 07:00Z",
        "value": _CONVOY,
    },
}

NOTICE_REPLACEMENT: dict[str, Example] = {
    "site": {
        "summary": "The field hospital, its radius widened to 800 m (version 2)",
        "description": f'Sent with If-Match: "1" to PUT /v1/notices/{HOSPITAL_ID}.',
        "value": {
            **_HOSPITAL,
            "volumes": [{**_HOSPITAL["volumes"][0], "radius_m": 800}],
        },
    },
}

_VIPER = {
    "domain": "air",
    "alt_m": 6000,
    "gs_mps": 220,
    "trk_deg": 90,
    "vs_mps": 0,
    "time": "2027-01-12T06:10:00Z",
    "audience": ["counterpart"],
}

TRACKS: dict[str, Example] = {
    "pair": {
        "summary": "Two coalition aircraft west of Deir ez-Zor, eastbound at 6,000 m",
        "value": [
            {"uid": "viper-1", "callsign": "VIPER1", "lat": 35.36, "lon": 39.98, **_VIPER},
            {"uid": "viper-2", "callsign": "VIPER2", "lat": 35.355, "lon": 39.96, **_VIPER},
        ],
    },
}

_CONVOY_TRACK = {
    "domain": "ground",
    "vs_mps": 0,
    "trk_deg": 57,
    "time": "2027-01-12T06:10:00Z",
    "movement": CONVOY_ID,
    "audience": "all",
}
_CONVOY_TRACKS = [
    {"uid": "convoy-lead", "callsign": "UN CONVOY 1", "lat": 34.71, "lon": 38.56, "alt_m": 420}
    | {"gs_mps": 12}
    | _CONVOY_TRACK,
    {"uid": "convoy-tail", "callsign": "UN CONVOY 11", "lat": 34.7, "lon": 38.54, "alt_m": 425}
    | {"gs_mps": 11.5}
    | _CONVOY_TRACK,
]

TRACKS_NDJSON: dict[str, Example] = {
    "convoy": {
        "summary": "The convoy's lead and last trucks, one report a line, on their movement",
        "value": "".join(json.dumps(report) + "\n" for report in _CONVOY_TRACKS),
    },
}

ACK: dict[str, Example] = {
    "current": {"summary": "The current version", "value": {}},
    "version": {
        "summary": "A given version: the field hospital once widened",
        "value": {"version": 2},
    },
}

MESSAGE_ACK: dict[str, Example] = {
    "seen": {"summary": "Seen: the coalition acknowledges UN OCHA's request", "value": {}},
}

KEY: dict[str, Example] = {
    "base64": {
        "summary": "An Ed25519 public key, standard base64 of its 32 bytes",
        "value": {"public_key": "ThMT2trJqouwe/WQ1ZWg2aQZfu96RyABVgMA+dM5NTI="},
    },
    "vkey": {
        "summary": "The same key as a C2SP verifier key",
        "value": {
            "public_key": "un-ocha-duty-officer+56208d3e+"
            "AU4TE9rayaqLsHv1kNWVoNmkGX7vekcgAVYDAPnTOTUy"
        },
    },
}

THREAD: dict[str, Example] = {
    "convoy": {
        "summary": "UN OCHA opens a thread with the coalition",
        "value": {"parties": ["coalition"], "subject": "Convoy arrival at Deir ez-Zor"},
    },
    "crossing": {
        "summary": "A thread with both forces",
        "value": {
            "parties": ["coalition", "counterpart"],
            "subject": "Deir ez-Zor bridge crossing, 12 January",
        },
    },
}

MESSAGE: dict[str, Example] = {
    "keep-clear": {
        "summary": "Request: keep clear of an area for three hours, reply within 35 minutes",
        "value": {
            "kind": "request",
            "request": "keep-clear",
            "to": "coalition",
            "text": "Please keep your aircraft clear of the convoy's arrival area for the next "
            "three hours.",
            "volume": {
                "footprint": {"type": "Point", "coordinates": [40.25, 35.36]},
                "radius_m": 4000,
                "time": {"start": "2027-01-12T06:30:00Z", "end": "2027-01-12T09:30:00Z"},
            },
            "deadline": "2027-01-12T06:45:00Z",
        },
    },
    "hold": {
        "summary": "Request: hold an operation named by its notice",
        "value": {
            "kind": "request",
            "request": "hold",
            "to": "coalition",
            "notices": [OPERATION_ID],
            "text": "Please hold the air operation until the convoy is across the bridge at "
            "Deir ez-Zor, about 09:40Z.",
            "deadline": "2027-01-12T07:00:00Z",
        },
    },
    "accept": {
        "summary": "Reply: accept (the line then enforces the agreement)",
        "value": {
            "kind": "reply",
            "in_reply_to": REQUEST_ID,
            "reply": "accept",
            "text": "Agreed. VIPER flights will route around it.",
        },
    },
    "decline": {
        "summary": "Reply: decline, with the reason",
        "value": {
            "kind": "reply",
            "in_reply_to": REQUEST_ID,
            "reply": "decline",
            "reason": "VIPER1 is on a medical evacuation through that area until 07:30Z.",
        },
    },
    "counter": {
        "summary": "Reply: counter with another window",
        "value": {
            "kind": "reply",
            "in_reply_to": REQUEST_ID,
            "reply": "counter",
            "text": "We can keep clear from 07:30Z, once VIPER1 has landed.",
            "window": {"start": "2027-01-12T07:30:00Z", "end": "2027-01-12T10:30:00Z"},
        },
    },
    "note": {
        "summary": "Note: free text, line breaks allowed",
        "value": {
            "kind": "note",
            "text": "Convoy lead at the Deir ez-Zor bridge checkpoint, 09:40Z.\n"
            "All 11 trucks accounted for.",
        },
    },
    "withdraw": {
        "summary": "Withdraw: end the agreement an accepted request made",
        "value": {
            "kind": "withdraw",
            "in_reply_to": REQUEST_ID,
            "text": "The convoy has arrived; the area is yours again.",
        },
    },
}

MEMBER: dict[str, Example] = {
    "observer": {
        "summary": "A duty officer of UN OCHA who reads, for 30 days",
        "value": {
            "party": "un-ocha",
            "role": "observer",
            "name": "Duty desk, Damascus",
            "expires_in": "30d",
        },
    },
    "admin": {
        "summary": "Another admin of the host, for the default 90 days",
        "value": {"party": "host", "role": "admin", "name": "Night shift"},
    },
}

ROTATE: dict[str, Example] = {
    "default": {"summary": "A new token for the default 90 days", "value": {}},
    "short": {"summary": "A new token for 12 hours", "value": {"expires_in": "12h"}},
}

COSIGNATURE: dict[str, Example] = {
    "witness": {
        "summary": "UN OCHA cosigns the checkpoint over 1,204 events, proven consistent",
        "value": {
            "size": 1204,
            "cosignature": "\u2014 deconfliction-line/deir-ez-zor/witness/un-ocha "
            "9wCqs42v/4HopZMb0ZYYOeyVFKZ5GbkfUba2yaphrvqcH+PXRCKunffavqjekllc9L7xlFTvZc/lyMYvQlFp"
            "+y1xFkK3JrBEAWJ8qQ==",
        },
    },
}
