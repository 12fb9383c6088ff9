"""Meters served to batteries: any grid power reading, answered as a Shelly Pro 3EM, Pro EM or EcoTracker.

Home-Assistant-free, like devices/ and control/: a Feed holds the newest reading of the source (and goes
quiet when the source is stale), personas answer what batteries ask of those meters, and the servers
answer them over HTTP, WebSocket and UDP JSON-RPC. Read-only: no request changes anything.
"""
