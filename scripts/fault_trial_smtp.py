"""Fault trial (scripts/fault_trial.py): a loopback SMTP server (scenario 5)."""

import asyncio
import email.parser
import email.policy
import socket
import threading

from fault_trial_base import TrialError


class LoopbackSMTP:
    """The least SMTP server that accepts every message, on 127.0.0.1 only,
    in a thread of this process; keeps (Message-Id, subject, recipients)."""

    def __init__(self, port):
        self.port = port
        self.messages = []
        self.error = None
        self._loop = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        if not self._ready.wait(10) or self.error:
            raise TrialError(f"SMTP server on 127.0.0.1:{self.port}: {self.error}")
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        return False

    def _serve(self):
        loop = self._loop = asyncio.new_event_loop()
        try:
            server = loop.run_until_complete(
                asyncio.start_server(
                    self._session, "127.0.0.1", self.port, reuse_address=True
                )
            )
        except OSError as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            loop.run_until_complete(server.wait_closed())
            loop.close()

    async def _session(self, reader, writer):
        async def reply(text):
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        await reply("220 127.0.0.1 fault trial SMTP")
        recipients = []
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), 60)
                verb = line[:4].decode("ascii", "replace").upper()
                if not line or verb == "QUIT":
                    await reply("221 bye")
                    break
                if verb == "EHLO":
                    await reply("250-127.0.0.1\r\n250-8BITMIME\r\n250 SMTPUTF8")
                elif verb == "MAIL":
                    recipients = []
                    await reply("250 ok")
                elif verb == "RCPT":
                    recipients.append(line[8:].decode().strip().strip("<>"))
                    await reply("250 ok")
                elif verb == "DATA":
                    await reply("354 end with <CRLF>.<CRLF>")
                    self._keep(await self._read_data(reader), recipients)
                    await reply("250 queued")
                elif verb in ("HELO", "RSET", "NOOP"):
                    await reply("250 ok")
                else:
                    await reply("502 not implemented")
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _read_data(reader):
        lines = []
        while True:
            line = await asyncio.wait_for(reader.readline(), 60)
            if not line or line == b".\r\n":
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)

    def _keep(self, data, recipients):
        headers = email.parser.BytesHeaderParser(
            policy=email.policy.default
        ).parsebytes(data)
        self.messages.append(
            {
                "message_id": str(headers.get("Message-Id", "")).strip(),
                "subject": str(headers.get("Subject", "")),
                "recipients": sorted(recipients),
            }
        )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
