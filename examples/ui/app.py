"""Streamlit page for the iris model API: four measurements in, predicted species out.

    API_URL=http://localhost:8000/api streamlit run app.py

The page posts the form to {API_URL}/predict (see api_client) and shows the species
and its class probabilities; any failure is shown as an error naming the URL.
"""

from __future__ import annotations

import streamlit as st

from api_client import ApiError, api_url_from_env, predict, predict_url

# (field, label, default) — defaults are a typical setosa; bounds sit inside the API's (0, 100).
FEATURES: list[tuple[str, str, float]] = [
    ("sepal_length", "Sepal length (cm)", 5.1),
    ("sepal_width", "Sepal width (cm)", 3.5),
    ("petal_length", "Petal length (cm)", 1.4),
    ("petal_width", "Petal width (cm)", 0.2),
]
MIN_CM, MAX_CM = 0.1, 20.0

st.set_page_config(page_title="Iris classifier", page_icon="🌸")
st.title("Iris classifier")
api_url = api_url_from_env()
st.caption(f"Model API: {api_url}")

with st.form("features"):
    values: dict[str, float] = {}
    for i, (field, label, default) in enumerate(FEATURES):
        if i % 2 == 0:  # two per row: sepal on the first, petal on the second
            columns = st.columns(2)
        values[field] = columns[i % 2].number_input(
            label,
            min_value=MIN_CM,
            max_value=MAX_CM,
            value=default,
            step=0.1,
            format="%.1f",
            key=field,
        )
    submitted = st.form_submit_button("Predict")

if submitted:
    try:
        with st.spinner("Asking the model..."):
            result = predict(api_url, values)
    except ApiError as exc:
        st.error(f"Could not get a prediction from {predict_url(api_url)}: {exc}")
    else:
        st.success(f"Predicted species: **{result.species}**")
        ranked = sorted(result.probabilities.items(), key=lambda kv: kv[1], reverse=True)
        st.bar_chart({"probability": result.probabilities}, horizontal=True)
        st.table(
            {"species": [s for s, _ in ranked], "probability": [f"{p:.1%}" for _, p in ranked]}
        )
