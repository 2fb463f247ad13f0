"""A small HTTP/1.1 server on loopback for the MediaJobsHTTP tests.

Prints its port on the first line of stdout and exits when stdin closes (when the test process ends).
"""
import email.parser
import email.policy
import hashlib
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATTERN = bytes(range(256)) * 256  # 64 KiB


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj, extra=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        path = self.path.split("?")[0]
        parts = path.strip("/").split("/")
        if path == "/json":
            self.send_json(200, {"ok": True, "method": "GET", "headers": dict(self.headers.items()),
                                 "connection": self.client_address[1]})
        elif parts[0] == "bytes":
            total = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            sent = 0
            while sent < total:
                chunk = PATTERN[: min(len(PATTERN), total - sent)]
                self.wfile.write(chunk)
                sent += len(chunk)
        elif parts[0] == "status":
            code = int(parts[1])
            self.send_json(code, {"error": {"code": code, "message": "status %d as asked" % code}},
                           [("Retry-After", "2")])
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
        elif path == "/hang":
            time.sleep(30)
            self.close_connection = True
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"y" * 1000)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/json")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_json(404, {"error": "no such path"})

    def do_POST(self):
        path = self.path.split("?")[0]
        body = self.read_body()
        if path == "/echo":
            self.send_json(200, {"method": "POST", "content_type": self.headers.get("Content-Type"),
                                 "length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                                 "json": json.loads(body) if body.startswith(b"{") else None,
                                 "headers": dict(self.headers.items())})
        elif path == "/upload":
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + body)
            parts = []
            for part in message.iter_parts():
                payload = part.get_payload(decode=True) or b""
                parts.append({"name": part.get_param("name", header="content-disposition"),
                              "filename": part.get_filename(), "content_type": part.get_content_type(),
                              "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest(),
                              "text": payload.decode("utf-8", "replace") if part.get_filename() is None else None})
            self.send_json(200, {"multipart": message.is_multipart(), "parts": parts})
        else:
            self.send_json(404, {"error": "no such path"})

    def do_PUT(self):
        body = self.read_body()
        self.send_json(200, {"method": "PUT", "length": len(body)})

    def do_DELETE(self):
        self.send_json(200, {"method": "DELETE"})


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that abort (the cancellation and timeout tests) are expected


def main():
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
