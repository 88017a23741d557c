"""Polite, bounded HTTP for live sources: pure parts (addresses, retries, feeds, sitemaps,
robots) and the small stateful objects that use them (client, fetcher), no Beam."""
