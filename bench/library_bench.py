"""The policy library on the phone (issue #19): its size as the phone keeps it and what it
adds to a liaison's first pull, measured on the wire from the running server.

Workload: the demo county on PostgreSQL behind gunicorn; a liaison's first pull; then the
county publishes a library the size of its printed reader (法规政策书: 120 items, a
summary and a Markdown body of ≈ 1,500–4,000 characters each) through the REST API; a
fresh phone of the same liaison pulls again; one policy is revised and the first phone
pulls the change. Prints bytes as sent (gzip) and as kept (the JSON of each record),
server time from Server-Timing, and the publishing rate.
"""

import gzip
import json
import random
import time
import uuid

from . import harness

POLICIES = 120
CATEGORIES = ("preferential", "medical", "housing", "employment", "legal", "other")
WORDS = ("优抚对象", "按规定", "享受", "补助", "标准", "乡镇民政所", "县民政局", "申请", "审核",
         "发放", "社会保障卡", "每年", "提高", "医疗", "住房", "就业", "培训", "法律援助",
         "联络员", "材料", "身份证", "户口簿", "证明", "办理", "时限", "工作日", "咨询电话")


def _body(rng):
    parts = []
    for _ in range(rng.randint(3, 6)):
        parts.append("## " + "".join(rng.choice(WORDS) for _ in range(3)))
        for _ in range(rng.randint(1, 3)):
            parts.append("".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))) + "。")
        parts.append("\n".join("- " + "".join(rng.choice(WORDS) for _ in range(6))
                               for _ in range(rng.randint(2, 5))))
    return "\n\n".join(parts)


def _library(rng):
    for number in range(POLICIES):
        yield {"title": f"{''.join(rng.choice(WORDS) for _ in range(3))}政策第{number + 1}条"[:80],
               "category": CATEGORIES[number % len(CATEGORIES)],
               "summary": "".join(rng.choice(WORDS) for _ in range(rng.randint(15, 40)))[:300],
               "body": _body(rng), "effective_on": "2026-01-01"}


def _pull(base, username, client_id, cursor=None):
    """A pull to the end: the harness's figures, the policies' JSON as kept, the cursor."""
    token = harness.login(base, username)
    headers = {"X-Client-Id": client_id, "Accept-Encoding": "gzip"}
    kept, last = [], {}

    def fetch(path):
        status, raw, answer = harness.request(base, "GET", path, token=token, headers=headers)
        if status == 200:
            body = json.loads(gzip.decompress(raw) if answer.get("Content-Encoding") == "gzip"
                              else raw)
            kept.extend(c["data"] for c in body["changes"]
                        if c["entity"] == "policy" and c["op"] == "upsert")
            last["cursor"] = body["cursor"]
        return status, raw, answer

    cost = harness.pull_all(fetch, cursor)
    assert cost["status"] == 200, cost
    size = sum(len(json.dumps(record, ensure_ascii=False).encode()) for record in kept)
    return cost, len(kept), size, last.get("cursor")


def run(tmpdir, kind="postgresql"):
    print(f"\n== policy library on the phone: {POLICIES} policies ({kind}) ==")
    rng = random.Random(19)
    with harness.database(kind, tmpdir) as url:
        harness.flask(["db", "upgrade"], url)
        harness.flask(["seed-demo"], url)
        with harness.server(url, workers=2) as (base, _process):
            before, seeded, _size, _ = _pull(base, "liaison1", f"bench-{uuid.uuid4().hex[:6]}")
            token = harness.login(base, "county1")
            began, ids = time.perf_counter(), []
            for values in _library(rng):
                status, raw, _ = harness.request(base, "POST", "/api/v1/policies", values,
                                                 token=token)
                assert status == 201, raw[:300]
                ids.append(json.loads(raw)["id"])
            published = time.perf_counter() - began
            phone = f"bench-{uuid.uuid4().hex[:6]}"
            after, held, size, cursor = _pull(base, "liaison1", phone)
            status, raw, _ = harness.request(base, "PATCH", f"/api/v1/policies/{ids[0]}",
                                             {"summary": "修订：" + "".join(
                                                 rng.choice(WORDS) for _ in range(20))},
                                             token=token)
            assert status == 200, raw[:300]
            change, changed, _, _ = _pull(base, "liaison1", phone, cursor)
        added = after["bytes"] - before["bytes"]
        print(f"published {POLICIES} policies through the API in {published:.1f} s "
              f"({POLICIES / published:.0f}/s)")
        print(f"library on the phone: {held} policies, {size / 1024:.0f} KB as kept "
              f"(JSON of each record; the demo seed's own {seeded} included)")
        print(f"a liaison's first pull: {before['bytes'] / 1024:.0f} KB gzipped, "
              f"{before['records']} records, server {before['server'] * 1000:.0f} ms before; "
              f"{after['bytes'] / 1024:.0f} KB, {after['records']} records, "
              f"server {after['server'] * 1000:.0f} ms with the library: "
              f"+{added / 1024:.0f} KB on the wire, "
              f"+{(after['server'] - before['server']) * 1000:.0f} ms server time")
        print(f"a revised policy on the next pull: {changed} record, {change['bytes']} bytes "
              f"gzipped, server {change['server'] * 1000:.1f} ms")
