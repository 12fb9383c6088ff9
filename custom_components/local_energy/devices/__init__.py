"""Protocol layer of Local Energy: device clients and their transports. Knows nothing of Home Assistant."""
