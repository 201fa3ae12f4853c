"""The dashboard: server-rendered pages (Jinja2), each with a JSON twin, and their static files.

Nothing is fetched from elsewhere: the stylesheet and the script that checks
inclusion proofs in the browser (WebCrypto) ship in `static/`.
"""
