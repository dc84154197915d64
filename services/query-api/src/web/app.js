// The shoppers' page: text search, photo search (picker or drag-and-drop),
// filters, results with "more like this". Plain DOM, no framework, no build.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const els = {
    form: $('search-form'), q: $('q'), photo: $('photo'), filters: $('filters'),
    category: $('category'), brand: $('brand'), minPrice: $('minPrice'), maxPrice: $('maxPrice'), inStock: $('inStock'),
    summary: $('query-summary'), error: $('error'), empty: $('empty'), welcome: $('welcome'),
    results: $('results'), more: $('more'), overlay: $('drop-overlay'), template: $('result-template'),
  };
  const PAGE = 24;
  const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
  const known = { category: new Set(), brand: new Set() };
  /** What the results on screen answer: {kind:'text', q} | {kind:'photo', file, previewUrl} | {kind:'similar', productId, title}. */
  let current = null;
  let offset = 0;
  let generation = 0;

  function filterParams() {
    const params = new URLSearchParams();
    if (els.category.value) params.set('category', els.category.value);
    if (els.brand.value) params.set('brand', els.brand.value);
    if (els.minPrice.value !== '') params.set('minPrice', els.minPrice.value);
    if (els.maxPrice.value !== '') params.set('maxPrice', els.maxPrice.value);
    if (els.inStock.checked) params.set('inStock', 'true');
    return params;
  }

  async function run(search, { append = false } = {}) {
    current = search;
    offset = append ? offset + PAGE : 0;
    const mine = ++generation;
    const params = filterParams();
    params.set('limit', String(PAGE));
    params.set('offset', String(offset));
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
      if (search.kind === 'text') history.replaceState(null, '', `/?q=${encodeURIComponent(search.q)}`);
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
    remember('category', body.facets.categories);
    remember('brand', body.facets.brands);
    const count = els.results.children.length;
    els.empty.hidden = count > 0;
    els.more.hidden = body.results.length < PAGE;
    summarise(count, body);
  }

  function card(result) {
    const node = els.template.content.firstElementChild.cloneNode(true);
    node.dataset.productId = result.productId;
    const img = node.querySelector('img');
    img.src = result.imageUrl;
    img.alt = result.title;
    node.querySelector('.title').textContent = result.title;
    node.querySelector('.brand-name').textContent = result.brand || '';
    const stock = node.querySelector('.stock');
    stock.textContent = result.inStock ? 'In stock' : 'Out of stock';
    stock.classList.toggle('out', !result.inStock);
    node.querySelector('.price').textContent = formatPrice(result.price);
    node.querySelector('.score').textContent = `score ${result.score.toFixed(3)}`;
    node.querySelector('.similar').addEventListener('click', () => {
      run({ kind: 'similar', productId: result.productId, title: result.title });
      window.scrollTo({ top: 0, behavior: 'smooth' });
    });
    return node;
  }

  function formatPrice(price) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: price.currency }).format(price.amount);
    } catch {
      return `${price.amount.toFixed(2)} ${price.currency}`;
    }
  }

  function summarise(count, body) {
    const parts = [];
    if (current.kind === 'text') parts.push(`“${current.q}”`);
    if (current.kind === 'photo') parts.push('your photo');
    if (current.kind === 'similar') parts.push(`more like “${current.title}”`);
    const text = document.createElement('span');
    text.textContent = `${count} result${count === 1 ? '' : 's'} for ${parts.join('')} · ${Math.round(body.tookMs)} ms · ${body.model}`;
    const nodes = [text];
    if (current.kind === 'photo') {
      const preview = document.createElement('img');
      preview.src = current.previewUrl;
      preview.alt = 'your photo';
      nodes.unshift(preview);
    }
    els.summary.replaceChildren(...nodes);
  }

  /** Filter options: every value seen this session, so narrowing a search never hides the way back. */
  function remember(name, facets) {
    const select = els[name];
    let changed = false;
    for (const facet of facets) {
      if (!known[name].has(facet.value)) {
        known[name].add(facet.value);
        changed = true;
      }
    }
    if (!changed) return;
    const selected = select.value;
    const options = [...known[name]].sort((a, b) => a.localeCompare(b)).map((value) => new Option(value, value));
    select.replaceChildren(select.options[0], ...options);
    select.value = selected;
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
  els.filters.addEventListener('change', () => current && run(current));
  els.filters.addEventListener('reset', () => setTimeout(() => current && run(current), 0));
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

  const initial = new URLSearchParams(location.search).get('q');
  if (initial) {
    els.q.value = initial;
    run({ kind: 'text', q: initial });
  }
})();
