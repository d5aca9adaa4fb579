"""A Git LFS server for the end-to-end tests: git_server_support's smart-HTTP server (Basic or
Bearer, `git http-backend` behind it) that also serves the LFS batch API
(`<repo>/info/lfs/objects/batch`, the "basic" transfer) and stores the objects in memory, all on
127.0.0.1 behind the same authentication. Every request is recorded, so a test counts what git-lfs
sent. The object URLs it hands out carry the Authorization the batch request came with (LFS's
`header` action field), as LFS servers hand out signed URLs: git-lfs needs no second credential."""

import hashlib
import json
import threading

from git_server_support import GitServer, _Handler

LFS_TYPE = "application/vnd.git-lfs+json"
BATCH = "/info/lfs/objects/batch"
OBJECTS = "/lfs-objects/"


class LfsServer(GitServer):
    def __init__(self, root, scheme):
        super().__init__(root, scheme)
        self.RequestHandlerClass = _LfsHandler
        self.objects = {}  # oid -> bytes

    def batch_requests(self):
        with self.lock:
            return [r for r in self.received if r[1].endswith(BATCH)]

    def lfs_requests(self):
        with self.lock:
            return [r for r in self.received if "/info/lfs/" in r[1] or r[1].startswith(OBJECTS)]


class _LfsHandler(_Handler):
    def do_PUT(self):
        self._serve()

    def _cgi(self, path, query, user, body):
        if path.endswith(BATCH):
            return self._batch(body)
        if path.startswith(OBJECTS):
            return self._object(path[len(OBJECTS) :], body)
        if "/info/lfs/" in path:  # the locking API: not offered
            return self._reply(404, b'{"message": "not found"}', LFS_TYPE)
        return super()._cgi(path, query, user, body)

    def _reply(self, status, payload, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _batch(self, body):
        request = json.loads(body or b"{}")
        operation = request.get("operation")
        auth = {"Authorization": self.headers["Authorization"]}
        objects = []
        for obj in request.get("objects", []):
            oid, size = obj["oid"], obj["size"]
            href = f"http://{self.server.host}{OBJECTS}{oid}"
            entry = {"oid": oid, "size": size, "authenticated": True}
            have = oid in self.server.objects
            if operation == "upload" and not have:
                entry["actions"] = {"upload": {"href": href, "header": auth}}
            elif operation == "download" and have:
                entry["actions"] = {"download": {"href": href, "header": auth}}
            elif operation == "download":
                entry["error"] = {"code": 404, "message": "Object does not exist"}
            objects.append(entry)
        payload = json.dumps({"transfer": "basic", "objects": objects}).encode()
        self._reply(200, payload, LFS_TYPE)

    def _object(self, oid, body):
        if self.command == "PUT":
            if hashlib.sha256(body).hexdigest() != oid:
                return self._reply(422, b"oid mismatch", "text/plain")
            with self.server.lock:
                self.server.objects[oid] = body
            return self._reply(200, b"", "text/plain")
        data = self.server.objects.get(oid)
        if data is None:
            return self._reply(404, b"", "text/plain")
        self._reply(200, data, "application/octet-stream")


def start_lfs_server(root, scheme):
    server = LfsServer(root, scheme)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server
