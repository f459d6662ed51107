"""gunicorn settings for production: `make prod` and deploy/coplan-web.service both read this file.

Environment: COPLAN_BIND (default 127.0.0.1:8000, where nginx proxies to) and COPLAN_WORKERS
(default 4). Everything else the app reads itself (README, Configuration).
"""

import os

bind = os.environ.get("COPLAN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("COPLAN_WORKERS", "4"))
worker_class = "sync"
# An archive of a 5,000-household plan takes about 9 s to build; a 512 MB archive check longer.
timeout = 120
# On SIGTERM (systemctl stop, Ctrl-C sends SIGINT: quick) requests in flight may finish.
graceful_timeout = 30
# A worker is replaced after this many requests (jitter: not all at once), bounding any leak.
max_requests = 2000
max_requests_jitter = 200
# Which proxy headers to believe is the app's decision alone (COPLAN_TRUSTED_PROXIES, ProxyFix):
# gunicorn itself believes none, so a client-sent X-Forwarded-Ssl cannot contradict nginx's
# X-Forwarded-Proto.
forwarded_allow_ips = ""
accesslog = "-"
# The peer is nginx; the client it names comes next (as nginx sent it), then the request and ms.
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = "info"
proc_name = "coplan"
# gunicorn's control socket ($HOME/.gunicorn/gunicorn.ctl) would be shared by every gunicorn of the
# user; signals (systemctl reload: HUP) do what is needed.
control_socket_disable = True
