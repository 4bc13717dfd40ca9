"""Small folium elements that run Lagebild's own JavaScript (``layers/js/lagebild.js``).

Layers are made by JavaScript expressions such as ``LB.points({...})`` whose data are
embedded with :func:`layers.escape.js_json`. The layer modules build those expressions
(pure strings, cheap to cache) and :func:`layer_group` wraps one in a toggleable
``folium.FeatureGroup``.
"""

from __future__ import annotations

import folium
from branca.element import Element, MacroElement
from folium.template import Template

from layers.escape import escape_text


class RawHtml(Element):
    """Rendered HTML or JavaScript placed into the page as it is (never a template).

    ``MacroElement.render`` wraps each element's rendered script in ``Element(text)``, which
    compiles the text as a Jinja template: slow for megabytes of layer data (≈ 0.6 s per
    2.6 MB, on every Streamlit rerun) and wrong for data texts – ``{{ … }}`` in a record
    would be evaluated by Jinja and ``{%`` would make the page fail. This element is never
    compiled.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawScript"
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _RawMacroElement(MacroElement):
    """A ``MacroElement`` with only a ``script`` macro whose output is not compiled again."""

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        script = self._template.module.__dict__["script"]
        figure.script.add_child(RawHtml(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class JsLayer(_RawMacroElement):
    """A Leaflet layer created by a JavaScript ``expression`` and added to the parent element."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.expression }};
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, expression: str) -> None:
        super().__init__()
        self._name = "JsLayer"
        self.expression = expression


class JsCall(_RawMacroElement):
    """A JavaScript statement run once; ``{map}`` in ``code`` is replaced by the map's variable."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.rendered_code }}
        {% endmacro %}
        """
    )

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "JsCall"
        self.code = code

    def render(self, **kwargs) -> None:
        self.rendered_code = self.code.replace("{map}", self._parent.get_name())
        super().render(**kwargs)


def layer_group(name: str, expressions: list[str] | str, *, show: bool = True) -> folium.FeatureGroup:
    """A toggleable overlay called ``name`` (escaped; Leaflet shows it as HTML) holding the
    layers made by ``expressions``."""
    group = folium.FeatureGroup(name=escape_text(name), show=show)
    for expr in [expressions] if isinstance(expressions, str) else expressions:
        group.add_child(JsLayer(expr))
    return group


class LayerControl(folium.LayerControl):
    """Layer control that re-applies the user's switched-off overlays after each rebuild.

    Collapsed to its button (it opens on hover or tap) so it does not cover the map."""

    _template = Template(
        """
        {% macro script(this,kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
            };
            let {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                {{ this.options|tojavascript }}
            ).addTo({{this._parent.get_name()}});
            LB.applyHidden({{this._parent.get_name()}}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, **kwargs) -> None:
        super().__init__(position="topright", collapsed=True, **kwargs)
