"""The door's service worker script: served to anyone (it holds no data), never cached by HTTP
caches (a deploy must reach phones), and listing the files an offline reload needs."""

from forumapp.checkin.offline_views import OFFLINE_ASSETS


def test_the_service_worker_is_served_fresh_with_the_files_the_door_needs(client):
    response = client.get("/door/service-worker.js")

    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    for path in OFFLINE_ASSETS:
        assert f'"/static/{path}"' in script
    assert 'var VERSION = "' in script
