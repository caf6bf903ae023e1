"""Intake: the channels that bring risk leads in, and the lead inbox of each level.

Public pages (no account): self-declaration (`declare`, with `?v=<village code>` from a village's QR
poster), tips (`tip`), and the status check (`declare-status`: ack number and phone together).
Staff pages: the inbox (`lead-inbox`), each lead (`lead-detail`) with accept / dismiss / merge,
overdue acceptance per township (`leads-overdue`), hand entry (`lead-new`, channel by role), lists
pushed from the city or province (`pushed-list-upload`, county staff) and QR posters (`village-qr`).

Settings a county may set (all optional):
- FANGPIN_INTAKE_LIMITS: rate limits of the public pages, see ratelimit.DEFAULT_LIMITS;
- FANGPIN_INTAKE_CLIENT_IP_HEADER: the header a trusted reverse proxy writes the client address to;
- FANGPIN_PUBLIC_URL: the address phones outside the office reach the site at (used in QR codes).
"""
