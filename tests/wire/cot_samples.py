"""CoT events as TAK clients write them (structure of ATAK 4.x/5.x output: a position with
contact, group, precision location, status, takv and track; a GeoChat; each drawing)."""

from __future__ import annotations

T = "2026-11-25T11:59:30.000Z"
STALE = "2026-11-25T12:05:30.000Z"

ATAK_POSITION = f"""<?xml version='1.0' encoding='UTF-8' standalone='yes'?>
<event version='2.0' uid='ANDROID-589520ccfcd20f01' type='a-f-G-U-C' time='{T}' start='{T}'
 stale='{STALE}' how='m-g'><point lat='35.3312' lon='40.1401' hae='212.6' ce='4.9' le='9999999.0'
 /><detail><takv os='34' version='5.2.0.4 (b7b9e1f4).1718031211-CIV' device='SAMSUNG SM-G991B'
 platform='ATAK-CIV'/><contact endpoint='*:-1:stcp' phone='' callsign='VIPER 1-1'/>
<uid Droid='VIPER 1-1'/><precisionlocation altsrc='GPS' geopointsrc='GPS'/>
<__group role='Team Member' name='Cyan'/><status battery='87'/>
<track course='271.5' speed='4.25'/></detail></event>""".encode()

WINTAK_AIR = f"""<event version="2.0" uid="WinTAK-heli-2" type="a-f-A-M-H" how="h-e"
 time="{T}" start="{T}" stale="{STALE}"><point lat="35.40" lon="40.20" hae="650.5" ce="12"
 le="20"/><detail><contact callsign="DUSTOFF 2"/><track course="90" speed="61.7"/></detail>
</event>""".encode()

GEOCHAT_ALL = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<event version="2.0" uid="GeoChat.ANDROID-589520ccfcd20f01.All Chat Rooms.5f2b7a6c-3e1d"
 type="b-t-f" time="{T}" start="{T}" stale="2026-11-26T11:59:30.000Z" how="h-g-i-g-o">
<point lat="35.3312" lon="40.1401" hae="212.6" ce="9999999.0" le="9999999.0"/><detail>
<__chat parent="RootContactGroup" groupOwner="false" messageId="5f2b7a6c-3e1d"
 chatroom="All Chat Rooms" id="All Chat Rooms" senderCallsign="VIPER 1-1">
<chatgrp uid0="ANDROID-589520ccfcd20f01" uid1="All Chat Rooms" id="All Chat Rooms"/></__chat>
<link uid="ANDROID-589520ccfcd20f01" type="a-f-G-U-C" relation="p-p"/>
<remarks source="BAO.F.ATAK.ANDROID-589520ccfcd20f01" to="All Chat Rooms" time="{T}">radio
 check</remarks>
<__serverdestination destinations="10.0.0.5:4242:tcp:ANDROID-589520ccfcd20f01"/></detail>
</event>""".encode()


def geochat_reply(room: str, chat_id: str, text: str, message_id: str = "m-77") -> bytes:
    """A reply typed in ATAK in a group room the line opened (same room name and id)."""
    return f"""<event version="2.0" uid="GeoChat.ANDROID-589520ccfcd20f01.{chat_id}.{message_id}"
 type="b-t-f" time="{T}" start="{T}" stale="{STALE}" how="h-g-i-g-o"><point lat="35.3"
 lon="40.1" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail><__chat parent="RootContactGroup"
 groupOwner="false" messageId="{message_id}" chatroom="{room}" id="{chat_id}"
 senderCallsign="VIPER 1-1"><chatgrp uid0="ANDROID-589520ccfcd20f01" uid1="deconfliction-line"
 id="{chat_id}"/></__chat><link uid="ANDROID-589520ccfcd20f01" type="a-f-G-U-C" relation="p-p"/>
<remarks source="BAO.F.ATAK.ANDROID-589520ccfcd20f01" to="{chat_id}" time="{T}">{text}</remarks>
</detail></event>""".encode()


def drawing(
    type_: str, links: list[tuple[float, float]], extra: str = "", cs: str = "OBJ"
) -> bytes:
    points = "".join(f'<link point="{lat},{lon}"/>' for lat, lon in links)
    return f"""<event version="2.0" uid="draw-{type_}" type="{type_}" how="h-e" time="{T}"
 start="{T}" stale="2026-11-25T18:00:00.000Z"><point lat="35.33" lon="40.14" hae="9999999.0"
 ce="9999999.0" le="9999999.0"/><detail>{points}<strokeColor value="-65536"/>
<strokeWeight value="3.0"/><fillColor value="1090453504"/><contact callsign="{cs}"/>
<remarks></remarks>{extra}<labels_on value="false"/></detail></event>""".encode()


SQUARE = [(35.30, 40.10), (35.30, 40.20), (35.40, 40.20), (35.40, 40.10)]
POLYGON = drawing("u-d-f", [*SQUARE, SQUARE[0]])
POLYLINE = drawing("u-d-f", [(35.30, 40.10), (35.35, 40.15), (35.40, 40.30)])
RECTANGLE = drawing("u-d-r", SQUARE)
CIRCLE = drawing("u-d-c-c", [], '<shape><ellipse major="2500" minor="2500" angle="360"/></shape>')
