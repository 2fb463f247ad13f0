"""Stand-ins for OpenRouter, OpenAI, fal and Replicate on loopback, for the worker's tests, until the
MediaJobsSimulator is merged. Shapes follow reference/providers.md; media are the repo's Samples.

Prints its port on the first line of stdout; exits when stdin closes. Requests without an
Authorization header get 401. POST /_faults {"match": "...", "status": 429, "retry_after": 1, "count": 1,
"body": {...}} makes the next `count` requests whose path contains `match` fail that way.
"""
import base64
import email.parser
import email.policy
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SAMPLES = sys.argv[1]
# Every OpenRouter request body is appended here (one JSON line each), for validation against the OpenAPI document.
RECORD = sys.argv[2] if len(sys.argv) > 2 else None
LOCK = threading.Lock()
FAULTS = []
JOBS = {}  # id -> {"polls": n, "kind": ..., "done_after": n}


def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


def clip_for(duration):
    """The sample video as long as the request asked (4 or 8 s; `8`, `"8s"`), else the 2 s clip: the
    worker checks a video's length against the request."""
    seconds = str(duration or "").rstrip("s")
    return "clip-%ss.mp4" % seconds if seconds in ("4", "8") else "clip.mp4"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def origin(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def reply(self, status, body, content_type="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def fault(self, path):
        with LOCK:
            for fault in FAULTS:
                if fault["match"] in path and fault["count"] > 0:
                    fault["count"] -= 1
                    return fault
        return None

    def handle_any(self, method):
        path = self.path
        raw = self.body()
        if path == "/_faults":
            fault = json.loads(raw)
            fault.setdefault("count", 1)
            with LOCK:
                FAULTS.append(fault)
            return self.reply(200, {"ok": True})
        if not self.headers.get("Authorization"):
            return self.reply(401, {"error": {"code": 401, "message": "No auth credentials found"}})
        fault = self.fault(path)
        if fault:
            headers = [("Retry-After", str(fault["retry_after"]))] if "retry_after" in fault else []
            return self.reply(fault["status"], fault.get("body", {"error": {"code": fault["status"],
                              "message": "injected %d" % fault["status"]}}), headers=headers)
        if path.startswith("/openrouter/api/v1"):
            return self.openrouter(method, path[len("/openrouter/api/v1"):], raw)
        if path.startswith("/openai/v1"):
            return self.openai(method, path[len("/openai/v1"):], raw)
        if path.startswith("/fal"):
            return self.fal(method, path[len("/fal"):], raw)
        if path.startswith("/replicate/v1"):
            return self.replicate(method, path[len("/replicate/v1"):], raw)
        self.reply(404, {"error": "no such path"})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def multipart(self, raw):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + raw)
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = (part.get_filename(), part.get_payload(decode=True))
        return fields

    def record(self, path, raw):
        if RECORD is None or self.command != "POST":
            return
        if self.headers.get("Content-Type", "").startswith("multipart/"):
            fields = {name: (value[1].decode("utf-8", "replace") if value[0] is None else "<file %s>" % value[0])
                      for name, value in self.multipart(raw).items()}
            entry = {"path": path, "multipart": fields}
        else:
            entry = {"path": path, "json": json.loads(raw)}
        with LOCK:
            with open(RECORD, "a") as f:
                f.write(json.dumps(entry) + "\n")

    # OpenRouter
    def openrouter(self, method, path, raw):
        origin = self.origin() + "/openrouter/api/v1"
        self.record(path, raw)
        if path == "/audio/speech":
            request = json.loads(raw)
            if "input" not in request or "model" not in request:
                return self.reply(400, {"error": {"code": 400, "message": "input: Required"}})
            if request["model"] == "no/such-model":
                return self.reply(404, {"error": {"code": 404, "message": "Model no/such-model does not exist"}})
            return self.reply(200, sample("speech.mp3"), "audio/mpeg", [("X-Generation-Id", "gen-tts-1-abc")])
        if path.startswith("/generation"):
            return self.reply(200, {"data": {"id": "gen-tts-1-abc", "total_cost": 0.0012}})
        if path == "/audio/transcriptions":
            fields = self.multipart(raw)
            if "file" not in fields or not fields["file"][1]:
                return self.reply(400, {"error": {"code": 400, "message": "file: Required"}})
            name, data = fields["file"]
            # The upload's name and size are echoed, so tests can see what was sent.
            return self.reply(200, {"text": "the quick brown fox [%s %d bytes]" % (name, len(data)),
                                    "usage": {"cost": 0.000508, "seconds": 3.1}})
        if path == "/images":
            request = json.loads(raw)
            return self.reply(200, {"created": 1, "data": [{"b64_json": base64.b64encode(sample("image.png")).decode(),
                                                            "media_type": "image/png"}],
                                    "usage": {"cost": 0.04, "prompt": request.get("prompt")}})
        if path == "/videos" and method == "POST":
            job = "job-" + uuid.uuid4().hex[:8]
            with LOCK:
                JOBS[job] = {"polls": 0, "clip": clip_for(json.loads(raw).get("duration"))}
            return self.reply(202, {"id": job, "polling_url": origin + "/videos/" + job, "status": "pending"})
        if path.startswith("/videos/") and path.endswith("/content?index=0"):
            with LOCK:
                clip = JOBS[path.split("/")[2]]["clip"]
            return self.reply(200, sample(clip), "video/mp4")
        if path.startswith("/videos/"):
            job = path.split("/")[2]
            with LOCK:
                JOBS[job]["polls"] += 1
                polls = JOBS[job]["polls"]
            if polls < 2:
                return self.reply(200, {"id": job, "status": "in_progress"})
            return self.reply(200, {"id": job, "status": "completed", "unsigned_urls": [origin + "/videos/" + job + "/content?index=0"],
                                    "usage": {"cost": 0.25, "is_byok": False}})
        self.reply(404, {"error": {"code": 404, "message": "not found"}})

    # OpenAI
    def openai(self, method, path, raw):
        if path == "/audio/speech":
            request = json.loads(raw)
            fmt = request.get("response_format", "mp3")
            if fmt == "wav":
                return self.reply(200, sample("speech.wav"), "audio/wav")
            return self.reply(200, sample("speech.mp3"), "audio/mpeg")
        if path == "/audio/transcriptions":
            fields = self.multipart(raw)
            fmt = fields.get("response_format", (None, b"json"))[1].decode()
            if fmt == "verbose_json":
                return self.reply(200, {"task": "transcribe", "language": "english", "duration": 3.1, "text": "the quick brown fox",
                                        "segments": [{"id": 0, "start": 0.0, "end": 1.4, "text": " the quick"},
                                                     {"id": 1, "start": 1.4, "end": 3.1, "text": " brown fox"}],
                                        "usage": {"type": "duration", "seconds": 3}})
            return self.reply(200, {"text": "the quick brown fox"})
        if path == "/images/generations":
            return self.reply(200, {"created": 1, "data": [{"b64_json": base64.b64encode(sample("image.png")).decode()}],
                                    "usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50}})
        self.reply(404, {"error": {"message": "not found", "type": "invalid_request_error", "param": None, "code": None}})

    # fal
    def fal(self, method, path, raw):
        origin = self.origin() + "/fal"
        parts = path.strip("/").split("/")
        if "requests" in parts:
            index = parts.index("requests")
            model, request_id, rest = "/".join(parts[:index]), parts[index + 1], parts[index + 2:]
            job = JOBS.get(request_id)
            if job is None:
                return self.reply(404, {"detail": "Request not found"})
            if rest == ["status"]:
                with LOCK:
                    job["polls"] += 1
                if job["polls"] < 2:
                    return self.reply(202, {"status": "IN_QUEUE", "queue_position": 0, "request_id": request_id})
                return self.reply(200, {"status": "COMPLETED", "request_id": request_id, "metrics": {"inference_time": 1.5}})
            if rest == ["cancel"]:
                return self.reply(202, {"status": "CANCELLATION_REQUESTED"})
            kind = job["kind"]
            if kind == "video":
                return self.reply(200, {"video": {"url": origin + "/files/" + job["clip"], "content_type": "video/mp4"}})
            if kind == "tts":
                return self.reply(200, {"audio": {"url": origin + "/files/speech.wav", "content_type": "audio/wav"}})
            return self.reply(200, {"images": [{"url": origin + "/files/image.png", "content_type": "image/png"}], "seed": 1})
        if parts[0] == "files":
            name = parts[1]
            types = {"mp4": "video/mp4", "wav": "audio/wav", "png": "image/png"}
            return self.reply(200, sample(name), types[name.split(".")[-1]])
        if method == "POST":
            model = "/".join(parts)
            request_id = str(uuid.uuid4())
            kind = "video" if "veo" in model else "tts" if "kokoro" in model else "image"
            duration = json.loads(raw or "{}").get("duration") if kind == "video" else None
            with LOCK:
                JOBS[request_id] = {"polls": 0, "kind": kind, "clip": clip_for(duration)}
            base = origin + "/" + "/".join(parts[:2]) + "/requests/" + request_id
            return self.reply(200, {"request_id": request_id, "response_url": base, "status_url": base + "/status",
                                    "cancel_url": base + "/cancel", "gateway_request_id": request_id})
        self.reply(404, {"detail": "Not Found"})

    # Replicate
    def replicate(self, method, path, raw):
        origin = self.origin() + "/replicate/v1"
        parts = path.strip("/").split("/")
        if parts[0] == "files":
            types = {"mp4": "video/mp4", "png": "image/png"}
            return self.reply(200, sample(parts[1]), types[parts[1].split(".")[-1]])
        if parts[0] == "models" and method == "POST":
            model = parts[1] + "/" + parts[2]
            request = json.loads(raw)
            prediction_id = uuid.uuid4().hex[:20]
            kind = "video" if "wan" in model else "transcribe" if "whisper" in model else "image"
            with LOCK:
                JOBS[prediction_id] = {"polls": 0, "kind": kind, "model": model, "input": request.get("input", {})}
            return self.reply(201, self.prediction(prediction_id, origin))
        if parts[0] == "predictions" and method == "GET":
            prediction_id = parts[1]
            with LOCK:
                JOBS[prediction_id]["polls"] += 1
            return self.reply(200, self.prediction(prediction_id, origin))
        self.reply(404, {"detail": "Not found."})

    def prediction(self, prediction_id, origin):
        job = JOBS[prediction_id]
        body = {"id": prediction_id, "model": job["model"], "version": "v", "input": job["input"], "logs": "", "error": None,
                "status": "starting", "output": None, "data_removed": False, "metrics": {},
                "urls": {"get": origin + "/predictions/" + prediction_id, "cancel": origin + "/predictions/" + prediction_id + "/cancel",
                         "web": "https://replicate.com/p/" + prediction_id}}
        # Images finish within the create request (Prefer: wait); the others after one poll.
        if job["kind"] == "image" or job["polls"] >= 1:
            body["status"] = "succeeded"
            body["metrics"] = {"predict_time": 2.5, "total_time": 3.0}
            if job["kind"] == "video":
                body["output"] = origin + "/files/clip.mp4"
            elif job["kind"] == "transcribe":
                body["output"] = {"transcription": "the quick brown fox",
                                  "segments": [{"start": 0.0, "end": 3.1, "text": "the quick brown fox"}]}
            else:
                body["output"] = [origin + "/files/image.png"]
        return body


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def main():
    server = QuietServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
