"""Images: where each service's image comes from, content tags, and (docker-py) builds."""
