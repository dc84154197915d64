// The shoppers' page: text search, photo search (picker or drag-and-drop),
// facets of what matched as filters (with their counts), zero-shot tag filters
// (kept in the URL, `tag.<attribute>=<label>`), sorting, results with their tag
// chips and "more like this", each image's generated description as its alt
// text, and "Ask about this product" (POST /v1/ask). Plain DOM, no framework, no build.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const els = {
    form: $('search-form'),
    q: $('q'),
    photo: $('photo'),
    filters: $('filters'),
    panel: $('filters-panel'),
    toggle: $('filters-toggle'),
    minPrice: $('minPrice'),
    maxPrice: $('maxPrice'),
    sort: $('sort'),
    summary: $('query-summary'),
    error: $('error'),
    empty: $('empty'),
    welcome: $('welcome'),
    results: $('results'),
    more: $('more'),
    overlay: $('drop-overlay'),
    template: $('result-template'),
    tagFacets: $('facet-tags'),
  };
  const facetLists = { category: $('facet-category'), brand: $('facet-brand'), price: $('facet-price'), stock: $('facet-stock') };
  const PAGE = 24;
  const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
  const STOCK_LABELS = { in_stock: 'In stock', out_of_stock: 'Out of stock' };
  /** Facet values the shopper ticked; a ticked value stays listed even when the results no longer count it. */
  const selected = { category: new Set(), brand: new Set(), stock: null, tags: new Map() };
  const TAG_PREFIX = 'tag.';
  /** Price band names the API has answered with (`25-50`, `200+`). */
  const knownBands = new Set();
  /** What the results on screen answer: {kind:'text', q} | {kind:'photo', file, previewUrl} | {kind:'similar', productId, title}. */
  let current = null;
  let offset = 0;
  let generation = 0;

  function filterParams() {
    const params = new URLSearchParams();
    for (const value of selected.category) params.append('category', value);
    for (const value of selected.brand) params.append('brand', value);
    if (els.minPrice.value !== '') params.set('minPrice', els.minPrice.value);
    if (els.maxPrice.value !== '') params.set('maxPrice', els.maxPrice.value);
    if (selected.stock) params.set('inStock', String(selected.stock === 'in_stock'));
    appendTagParams(params);
    return params;
  }

  /** `tag.<attribute>=<label>` per ticked label: labels of one attribute are OR'ed, attributes AND'ed. */
  function appendTagParams(params) {
    for (const [attribute, labels] of selected.tags) for (const label of labels) params.append(`${TAG_PREFIX}${attribute}`, label);
  }

  /** The tag filters a shared link carries (`/?q=…&tag.pattern=striped`). */
  function readTagParams(search) {
    for (const [key, value] of new URLSearchParams(search)) {
      if (!key.startsWith(TAG_PREFIX) || !value) continue;
      const attribute = key.slice(TAG_PREFIX.length);
      if (!selected.tags.has(attribute)) selected.tags.set(attribute, new Set());
      selected.tags.get(attribute).add(value);
    }
  }

  /** The address of a text search: the words and the tag filters, so a link reopens the same results. */
  function pageUrl(q) {
    const params = new URLSearchParams({ q });
    appendTagParams(params);
    return `/?${params}`;
  }

  async function run(search, { append = false } = {}) {
    current = search;
    offset = append ? offset + PAGE : 0;
    const mine = ++generation;
    const params = filterParams();
    params.set('limit', String(PAGE));
    params.set('offset', String(offset));
    // "More like this" ranks by likeness only; the API has no other order for it.
    els.sort.disabled = search.kind === 'similar';
    if (search.kind !== 'similar' && els.sort.value !== 'relevance') params.set('sort', els.sort.value);
    let request;
    if (search.kind === 'text') {
      params.set('q', search.q);
      request = fetch(`/v1/search?${params}`);
    } else if (search.kind === 'photo') {
      const body = new FormData();
      body.append('image', search.file, search.file.name || 'photo');
      request = fetch(`/v1/search/image?${params}`, { method: 'POST', body });
    } else {
      request = fetch(`/v1/products/${encodeURIComponent(search.productId)}/similar?${params}`);
    }
    document.body.classList.add('busy');
    showError(null);
    try {
      const response = await request;
      const body = await response.json().catch(() => null);
      if (mine !== generation) return;
      if (!response.ok) {
        const message = body && body.error ? body.error.message : `the server answered ${response.status}`;
        const retry = response.headers.get('retry-after');
        throw new Error(response.status === 503 || response.status === 429 ? `${message}${retry ? ` (try again in ${retry} s)` : ''}` : message);
      }
      render(body, append);
      if (search.kind === 'text') history.replaceState(null, '', pageUrl(search.q));
    } catch (error) {
      if (mine !== generation) return;
      if (!append) clearResults();
      showError(error instanceof TypeError ? 'The search service cannot be reached. Check your connection and try again.' : error.message);
    } finally {
      if (mine === generation) document.body.classList.remove('busy');
    }
  }

  function render(body, append) {
    els.welcome.hidden = true;
    if (!append) els.results.replaceChildren();
    for (const result of body.results) els.results.append(card(result));
    if (!append) renderFacets(body.facets);
    const count = els.results.children.length;
    els.empty.hidden = count > 0;
    els.more.hidden = body.results.length < PAGE || (body.total !== undefined && count >= body.total);
    summarise(count, body);
  }

  function card(result) {
    const node = els.template.content.firstElementChild.cloneNode(true);
    node.dataset.productId = result.productId;
    const img = node.querySelector('img');
    img.src = result.imageUrl;
    // The stored description says what the photo shows (WCAG 1.1.1); the title is the fallback.
    img.alt = result.imageDescription || result.title;
    node.querySelector('.title').textContent = result.title;
    node.querySelector('.brand-name').textContent = result.brand || '';
    const stock = node.querySelector('.stock');
    stock.textContent = result.inStock ? 'In stock' : 'Out of stock';
    stock.classList.toggle('out', !result.inStock);
    node.querySelector('.price').textContent = formatPrice(result.price);
    node.querySelector('.score').textContent = `score ${formatScore(result.score)}`;
    const chips = node.querySelector('.tags');
    chips.replaceChildren(
      ...(result.tags || []).map((tag) => {
        const chip = document.createElement('li');
        chip.className = 'tag-chip';
        chip.dataset.attribute = tag.attribute;
        chip.textContent = tag.label;
        chip.title = `${tag.attribute}: ${tag.label} (${Math.round(tag.confidence * 100)}% confident)`;
        return chip;
      }),
    );
    chips.hidden = chips.children.length === 0;
    node.querySelector('.similar').addEventListener('click', () => {
      run({ kind: 'similar', productId: result.productId, title: result.title });
      window.scrollTo({ top: 0, behavior: 'smooth' });
    });
    setUpAskBox(node.querySelector('.ask'), result.productId);
    return node;
  }

  function setUpAskBox(box, productId) {
    const form = box.querySelector('form');
    const input = form.elements.question;
    const button = form.querySelector('button');
    const answer = box.querySelector('.answer');
    const show = (text, isError) => {
      answer.hidden = false;
      answer.textContent = text;
      answer.classList.toggle('error-text', isError);
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const question = input.value.trim();
      if (!question) {
        show('Type a question about this product.', true);
        input.focus();
        return;
      }
      button.disabled = true;
      show('Looking at the photo…', false);
      try {
        const response = await fetch('/v1/ask', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ productId, question }),
        });
        const body = await response.json().catch(() => ({}));
        if (!response.ok) show((body.error && body.error.message) || `The answer failed (${response.status}).`, true);
        else show(body.answer, false);
      } catch {
        show('The answer failed: the server could not be reached.', true);
      } finally {
        button.disabled = false;
      }
    });
  }

  function formatPrice(price) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: price.currency }).format(price.amount);
    } catch {
      return `${price.amount.toFixed(2)} ${price.currency}`;
    }
  }

  /** Three significant digits: a cosine (0.312), a fused score (0.0328) and a BM25 score (12.4) all read. */
  function formatScore(score) {
    return Math.abs(score) >= 1 ? score.toFixed(1) : score.toPrecision(3);
  }

  /** "N results" from the API's total ("10,000+" when it stopped counting), else the rows shown ("more like this"). */
  function resultCount(count, body) {
    const total = body.total === undefined ? count : body.total;
    const plus = body.totalIsLowerBound ? '+' : '';
    return `${total.toLocaleString('en')}${plus} result${total === 1 && !plus ? '' : 's'}`;
  }

  function summarise(count, body) {
    const parts = [];
    if (current.kind === 'text') parts.push(`“${current.q}”`);
    if (current.kind === 'photo') parts.push('your photo');
    if (current.kind === 'similar') parts.push(`more like “${current.title}”`);
    const text = document.createElement('span');
    text.textContent = `${resultCount(count, body)} for ${parts.join('')} · ${Math.round(body.tookMs)} ms · ${body.model}`;
    const nodes = [text];
    if (current.kind === 'photo') {
      const preview = document.createElement('img');
      preview.src = current.previewUrl;
      preview.alt = 'your photo';
      nodes.unshift(preview);
    }
    els.summary.replaceChildren(...nodes);
  }

  /** Each filter's values with the number of matching products beside them; ticked values stay listed. */
  function renderFacets(facets) {
    for (const facet of facets.priceBands || []) knownBands.add(facet.value);
    const band = currentBand();
    fillFacet('category', withSelected(facets.categories, selected.category), (value) => selected.category.has(value));
    fillFacet('brand', withSelected(facets.brands, selected.brand), (value) => selected.brand.has(value));
    fillFacet('price', withSelected(facets.priceBands || [], band ? [band] : []), (value) => value === band, priceBandLabel);
    fillFacet(
      'stock',
      withSelected(facets.stock || [], selected.stock ? [selected.stock] : []),
      (value) => value === selected.stock,
      (value) => STOCK_LABELS[value] || value,
    );
    renderTagFacets(facets.tags || {});
  }

  /** One fieldset per tagged attribute, its labels counted over what matched; ticked labels stay listed. */
  function renderTagFacets(tagFacets) {
    const attributes = [...new Set([...Object.keys(tagFacets), ...selected.tags.keys()])].sort();
    els.tagFacets.replaceChildren(
      ...attributes.map((attribute) => {
        const chosen = selected.tags.get(attribute) || new Set();
        const fieldset = document.createElement('fieldset');
        fieldset.className = 'facet';
        const legend = document.createElement('legend');
        legend.textContent = attribute.replaceAll('_', ' ');
        const list = document.createElement('ul');
        list.className = 'facet-values';
        list.dataset.attribute = attribute;
        fieldset.append(legend, list);
        facetLists[`${TAG_PREFIX}${attribute}`] = list;
        fillFacet(`${TAG_PREFIX}${attribute}`, withSelected(tagFacets[attribute] || [], chosen), (value) => chosen.has(value));
        return fieldset;
      }),
    );
  }

  function withSelected(counts, chosen) {
    const listed = new Set(counts.map((facet) => facet.value));
    return [...counts, ...[...chosen].filter((value) => !listed.has(value)).map((value) => ({ value, count: 0 }))];
  }

  function fillFacet(name, counts, isChecked, label = (value) => value) {
    const list = facetLists[name];
    list.replaceChildren(
      ...counts.map(({ value, count }) => {
        const item = document.createElement('li');
        const box = document.createElement('label');
        const input = document.createElement('input');
        input.type = 'checkbox';
        input.name = name;
        input.value = value;
        input.checked = isChecked(value);
        const text = document.createElement('span');
        text.className = 'value';
        text.textContent = label(value);
        const number = document.createElement('span');
        number.className = 'count';
        number.textContent = String(count);
        box.append(input, text, number);
        item.append(box);
        return item;
      }),
    );
    list.closest('fieldset').hidden = counts.length === 0;
  }

  /** Price bands are named `min-max` (max exclusive) or `min+`. */
  function parseBand(value) {
    const match = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?)|\+)$/.exec(value);
    return match ? { min: Number(match[1]), max: match[2] === undefined ? undefined : Number(match[2]) } : null;
  }

  function priceBandLabel(value) {
    const band = parseBand(value);
    if (!band) return value;
    return band.max === undefined ? `${band.min} and up` : `${band.min} to ${band.max}`;
  }

  // The API's maxPrice is inclusive and a band's upper bound is not: a band ends one cent below it.
  const bandMaxPrice = (band) => (band.max === undefined ? '' : (band.max - 0.01).toFixed(2));

  /** The band the price inputs hold exactly, if any (only bands the API has named). */
  function currentBand() {
    const min = els.minPrice.value;
    const max = els.maxPrice.value;
    if (min === '') return null;
    const value = max === '' ? `${min}+` : `${min}-${Math.round((Number(max) + 0.01) * 100) / 100}`;
    const band = parseBand(value);
    return knownBands.has(value) && band && bandMaxPrice(band) === max ? value : null;
  }

  function onFacetChange(input) {
    const { name, value, checked } = input;
    if (name === 'category' || name === 'brand') {
      if (checked) selected[name].add(value);
      else selected[name].delete(value);
    } else if (name.startsWith(TAG_PREFIX)) {
      const attribute = name.slice(TAG_PREFIX.length);
      const labels = selected.tags.get(attribute) || new Set();
      if (checked) labels.add(value);
      else labels.delete(value);
      if (labels.size > 0) selected.tags.set(attribute, labels);
      else selected.tags.delete(attribute);
    } else if (name === 'stock') {
      selected.stock = checked ? value : null;
    } else if (name === 'price') {
      const band = checked ? parseBand(value) : null;
      els.minPrice.value = band ? String(band.min) : '';
      els.maxPrice.value = band ? bandMaxPrice(band) : '';
    }
  }

  function clearResults() {
    els.results.replaceChildren();
    els.more.hidden = true;
    els.empty.hidden = true;
    els.summary.replaceChildren();
  }

  function showError(message) {
    els.error.hidden = !message;
    els.error.textContent = message || '';
  }

  function searchPhoto(file) {
    if (!file) return;
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) {
      showError('Please choose a JPEG, PNG or WebP photo.');
      return;
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      showError('That photo is larger than 10 MB; please choose a smaller one.');
      return;
    }
    if (current && current.kind === 'photo') URL.revokeObjectURL(current.previewUrl);
    els.q.value = '';
    run({ kind: 'photo', file, previewUrl: URL.createObjectURL(file) });
  }

  els.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = els.q.value.trim();
    if (!q) {
      showError('Type what you are looking for, or search with a photo.');
      els.q.focus();
      return;
    }
    run({ kind: 'text', q });
  });
  els.photo.addEventListener('change', () => {
    searchPhoto(els.photo.files[0]);
    els.photo.value = '';
  });
  els.filters.addEventListener('change', (event) => {
    if (event.target.type === 'checkbox') onFacetChange(event.target);
    if (current) run(current);
  });
  els.filters.addEventListener('reset', () => {
    selected.category.clear();
    selected.brand.clear();
    selected.stock = null;
    selected.tags.clear();
    setTimeout(() => current && run(current), 0);
  });
  els.sort.addEventListener('change', () => current && run(current));
  els.toggle.addEventListener('click', () => {
    const open = els.panel.classList.toggle('open');
    els.toggle.setAttribute('aria-expanded', String(open));
  });
  els.more.addEventListener('click', () => current && run(current, { append: true }));

  // Drag and drop anywhere on the page.
  let dragDepth = 0;
  const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes('Files');
  window.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    dragDepth++;
    els.overlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) els.overlay.hidden = true;
  });
  window.addEventListener('dragover', (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  window.addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    els.overlay.hidden = true;
    searchPhoto(event.dataTransfer.files[0]);
  });

  readTagParams(location.search);
  const initial = new URLSearchParams(location.search).get('q');
  if (initial) {
    els.q.value = initial;
    run({ kind: 'text', q: initial });
  }
})();
