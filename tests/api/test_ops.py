"""Operations endpoints, routing errors, limits and the access log."""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

from conftest import (Daemon, create_note, in_threads, policy_body,
                      vouchd_path)


def test_ops_healthz_says_ok(server):
    r = server.get("/healthz")
    assert r.status == 200
    assert r.body == b"ok\n"


def test_ops_readyz_says_ok_when_store_reachable(server):
    r = server.get("/readyz")
    assert r.status == 200
    assert r.body == b"ok\n"


def test_ops_unknown_route_is_404_in_google_shape(server):
    r = server.get("/v1/projects/p/nothing")
    assert r.status == 404
    err = r.error()
    assert err["status"] == "NOT_FOUND"
    assert "/v1/projects/p/nothing" in err["message"]


def test_ops_trailing_slash_is_not_a_route(server):
    assert server.get("/v1/projects/p/policy/").status == 404


def test_ops_method_not_allowed_lists_allowed_methods(server):
    r = server.request("POST", "/v1/projects/p/policy", "{}")
    assert r.status == 405
    assert r.headers["Allow"] == "GET, PUT"
    err = r.error()
    assert "POST" in err["message"] and "GET, PUT" in err["message"]


def test_ops_bad_id_in_path_is_invalid_argument(server):
    r = server.get("/v1/projects/bad%20id/policy")
    assert r.status == 400
    err = r.error()
    assert err["status"] == "INVALID_ARGUMENT"
    assert "bad id" in err["message"]


def test_ops_body_over_limit_by_content_length_is_413(server, project):
    # Announce 5 MiB (over the 4 MiB default) and send nothing: the
    # daemon answers before reading the body.
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    try:
        s.sendall(("PUT /v1/projects/%s/policy HTTP/1.1\r\n"
                   "Host: 127.0.0.1:%d\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n"
                   % (project, server.port, 5 * 1024 * 1024)).encode())
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    err = json.loads(body)["error"]
    assert err["code"] == 413
    assert "4194304" in err["message"]


def test_ops_chunked_body_over_limit_is_413(server, project):
    conn = server.connect()
    try:
        conn.putrequest("PUT", "/v1/projects/%s/policy" % project)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Content-Type", "application/json")
        conn.endheaders()
        piece = b"x" * 65536
        for _ in range(70):   # 4.4 MiB
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 413
    assert json.loads(body)["error"]["status"] == "INVALID_ARGUMENT"
    # Nothing was written.
    assert "etag" not in server.get("/v1/projects/%s/policy"
                                    % project).json()


def test_ops_huge_header_is_refused(server):
    r = server.request("GET", "/healthz", headers={"X-Big": "a" * 70000})
    assert r.status in (413, 431)


def test_ops_access_log_has_one_json_line_per_request(server, project):
    path = "/v1/projects/%s/policy" % project
    server.get(path)
    server.get(path + "x")
    # Written at completion, which may trail the response by a moment.
    deadline = time.monotonic() + 10
    while True:
        with open(server.access_log) as f:
            lines = [json.loads(line) for line in f if line.endswith("\n")]
        mine = [e for e in lines if e["path"].startswith(path)]
        if len(mine) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(mine) == 2
    # Lines are written at completion, possibly by different threads:
    # match them by path, not by order.
    first = [e for e in mine if e["path"] == path][0]
    second = [e for e in mine if e["path"] == path + "x"][0]
    assert set(first) == {"time", "method", "path", "status",
                          "latency_us", "caller"}
    assert first["method"] == "GET" and first["status"] == 200
    assert second["status"] == 404
    assert first["caller"] is None
    assert isinstance(first["latency_us"], int) and first["latency_us"] >= 0
    assert first["time"].endswith("Z")


def test_ops_access_log_lines_stay_whole_under_concurrent_requests(server):
    # Eight threads end requests together; paths of up to 3,000 bytes make
    # some lines longer than any fixed buffer. Every line must still be
    # one whole JSON object naming its own request.
    def worker(n):
        for i in range(25):
            tail = "x" * (i * 120)
            r = server.request("GET", "/v1/projects/w%d-%d/%s/policy"
                               % (n, i, tail))
            assert r.status == 404

    assert in_threads(worker, 8) == []
    want = {"/v1/projects/w%d-%d/%s/policy" % (n, i, "x" * (i * 120))
            for n in range(8) for i in range(25)}
    deadline = time.monotonic() + 10
    while True:
        with open(server.access_log) as f:
            text = f.read()
        lines = [json.loads(line) for line in text.splitlines()]
        seen = {e["path"] for e in lines
                if e["path"].startswith("/v1/projects/w")}
        if seen >= want or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert seen == want
    assert text.endswith("\n")


def test_ops_access_log_on_a_pipe_keeps_long_lines_whole(store_url):
    # The default log is standard error, often a pipe, which takes only
    # PIPE_BUF (4 KiB) bytes of a write whole. Lines of ~6 KB from eight
    # threads, read slowly so that writers wait for room in the pipe, must
    # still come out one whole JSON object each.
    proc = subprocess.Popen([vouchd_path(), "--listen", "127.0.0.1:0",
                             "--store", store_url, "--threads", "4"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    chunks = []
    first = b""
    while b"\n" not in first:
        part = os.read(proc.stderr.fileno(), 4096)
        assert part, "vouchd exited"
        first += part
    m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", first)
    assert m, first
    d = Daemon(store_url, ".")
    d.port = int(m.group(1))
    chunks.append(first)

    def read_slowly():
        while True:
            part = os.read(proc.stderr.fileno(), 512)
            if not part:
                return
            chunks.append(part)
            time.sleep(0.0005)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    try:
        def worker(n):
            for i in range(12):
                r = d.get("/v1/projects/pipe%d-%d/%s/policy"
                          % (n, i, "y" * 6000))
                assert r.status == 404

        assert in_threads(worker, 8) == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        reader.join()
    lines = [json.loads(line) for line in b"".join(chunks).splitlines()
             if line.startswith(b'{"time"')]
    mine = {e["path"] for e in lines
            if e["path"].startswith("/v1/projects/pipe")}
    assert len(mine) == 96


def metric_count(text, route, method, code):
    key = ('vouchd_requests_total{route="%s",method="%s",code="%s"} '
           % (route, method, code))
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[-1])
    return 0


def test_ops_metrics_count_requests_by_route_and_code(server, project):
    route = "/v1/projects/{p}/notes/{n}"
    before = metric_count(server.get("/metrics").body.decode(), route,
                          "GET", 404)
    create_note(server, project, "m1")
    server.get("/v1/projects/%s/notes/nope" % project)
    # Counted at completion, which may trail the response by a moment
    # (on another thread of the pool: the POST's too).
    deadline = time.monotonic() + 5
    while True:
        text = server.get("/metrics").body.decode()
        now = metric_count(text, route, "GET", 404)
        posted = metric_count(text, "/v1/projects/{p}/notes", "POST", 200)
        if (now == before + 1 and posted >= 1) or \
                time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert now == before + 1
    assert "# TYPE vouchd_requests_total counter" in text
    assert "# TYPE vouchd_request_duration_seconds histogram" in text
    assert "vouchd_request_duration_seconds_bucket{le=\"+Inf\"}" in text
    assert "vouchd_verify_cache_hits_total" in text
    assert "vouchd_verify_cache_misses_total" in text
    assert metric_count(text, "/v1/projects/{p}/notes", "POST", 200) >= 1


def test_ops_metrics_content_type_is_prometheus(server):
    r = server.get("/metrics")
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")


def store_metric(server, name):
    for line in server.get("/metrics").body.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[-1])
    raise AssertionError("%s is not in /metrics" % name)


def test_ops_metrics_count_policy_reads_from_memory(server, project):
    path = "/v1/projects/%s/policy" % project
    assert server.request("PUT", path, policy_body()).status == 200
    hits = store_metric(server, "vouchd_store_cache_hits_total")
    misses = store_metric(server, "vouchd_store_cache_misses_total")
    first = server.get(path).json()
    assert server.get(path).json() == first
    hits_after = store_metric(server, "vouchd_store_cache_hits_total")
    misses_after = store_metric(server, "vouchd_store_cache_misses_total")
    if "postgres" in server.store_url:
        # The write invalidated, the first read filled, the second hit.
        assert misses_after >= misses + 1
        assert hits_after >= hits + 1
    else:
        # SQLite reads cost microseconds: no cache, both counters stay 0.
        assert (hits_after, misses_after) == (0, 0)
