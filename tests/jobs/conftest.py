"""The real SMTP server of the functional tests, for the mail jobs."""

from tests.functional.conftest import SmtpServer, smtp_server

__all__ = ["SmtpServer", "smtp_server"]
