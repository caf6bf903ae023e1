"""Case pages, one module per subject: the inbox with the working-day clock and opening an identification
case (inbox), the case page with its stage stepper and the form of the current stage (case), public
notices as a page and a PDF (notice_pages), the elimination check and the monitored households
(monitored), and the county's procedure and holiday tables (configuration); common.py holds what
several of them show (the clock, the household head).

Views parse, check a named permission, read through restricted querysets and call the services; the
rules live in services.py. A service error is shown on the page it came from with its message, and
the page answers with the error's status (400, 403, 409)."""
