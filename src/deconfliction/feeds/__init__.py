"""The line's front doors for the systems parties already run: TAK clients over Cursor on Target
(``feeds.tak``), ADS-B receivers and AIS (``feeds.sources``). Like ``api/``, they call the
``service`` functions and repeat no rule."""
