"""The JSON HTTP service, ``facecompare serve``: one long-running process that keeps the bundle and the face
finder loaded, for door, lift and attendance terminals. A package of its own beside ``app/`` (the Gradio
page): both answer through ``app.service.FaceService``; this one needs FastAPI and uvicorn instead of Gradio
(``pip install 'facecompare[serve]'``). ``form`` reads uploads into memory within limits, ``token`` checks
the bearer token, ``problems`` turns errors into JSON with their status, ``api`` holds the routes and
``server`` runs them."""
