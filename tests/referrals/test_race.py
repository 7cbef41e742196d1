"""Two agencies' staff racing on one referral end with exactly one winner (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.referrals.scene import build_scene


@pytest.mark.parametrize("with_if_match", [True, False])
async def test_two_concurrent_accepts_one_winner(app, client, world, with_if_match):
    s = await build_scene(world)
    ref = await s.referral("acknowledged")
    url = f"/api/v1/referrals/{ref['id']}"
    etag = (await world.get(s["dv_advocate"], url)).headers["etag"]
    extra = {"If-Match": etag} if with_if_match else {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as a, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as b:
        r1, r2 = await asyncio.gather(
            a.post(f"{url}/accept", headers={**s["dv_advocate"].h, **extra}),
            b.post(f"{url}/accept", headers={**s["dv_supervisor"].h, **extra}),
        )
    codes = sorted([r1.status_code, r2.status_code])
    assert codes[0] == 200 and codes[1] in (409, 412), (r1.text, r2.text)
    r = await world.get(s["cps_worker"], f"{url}/events")
    assert [e["to_status"] for e in r.json()["items"]].count("accepted") == 1
    r = await world.get(s["cps_worker"], url)
    assert r.json()["status"] == "accepted"


async def test_accept_races_withdraw(app, client, world):
    s = await build_scene(world)
    ref = await s.referral("acknowledged")
    url = f"/api/v1/referrals/{ref['id']}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as a, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as b:
        r1, r2 = await asyncio.gather(
            a.post(f"{url}/accept", headers=s["dv_advocate"].h),
            b.post(f"{url}/withdraw", headers=s["cps_worker"].h),
        )
    assert sorted([r1.status_code, r2.status_code]) in ([200, 409], [200, 412]), (r1.text, r2.text)
    final = (await world.get(s["cps_worker"], url)).json()["status"]
    assert final == ("accepted" if r1.status_code == 200 else "withdrawn")
    r = await world.get(s["cps_worker"], f"{url}/events")
    assert len(r.json()["items"]) == 4
