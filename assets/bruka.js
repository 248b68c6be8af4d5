// Bruka: progressive enhancement only. Every page works without this file; with it, the
// browse filters open on wide screens, the listing form sends photos ahead (downscaled,
// with a progress bar, previews to reorder and remove) and its buttons show that it works.
(function () {
  'use strict';

  var MAX_EDGE = 2500;
  var JPEG_QUALITY = 0.88;
  // Below this a photo is sent as it is: re-encoding would cost more than it saves.
  var SMALL_ENOUGH_BYTES = 1500000;

  function openFiltersOnWideScreens() {
    if (!window.matchMedia || !window.matchMedia('(min-width: 48rem)').matches) return;
    document.querySelectorAll('details[data-open-wide]').forEach(function (panel) {
      panel.open = true;
    });
  }

  // Photos this browser can decode are downscaled to MAX_EDGE on the longest side and sent
  // as JPEG; anything else (HEIC outside Safari) goes as it is and the server converts it.
  function downscale(file) {
    if (!window.createImageBitmap || !/^image\/(jpeg|png|webp|heic|heif)$/.test(file.type)) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: 'from-image' }).then(function (bitmap) {
      var scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
      var decodable = file.type === 'image/jpeg' || file.type === 'image/png' || file.type === 'image/webp';
      if (scale === 1 && decodable && file.size <= SMALL_ENOUGH_BYTES) return file;
      var canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, 'image/jpeg', JPEG_QUALITY);
      });
    }).catch(function () { return file; });
  }

  function button(label, className) {
    var element = document.createElement('button');
    element.type = 'button';
    element.className = 'link-button ' + className;
    element.textContent = label;
    return element;
  }

  function enhancePhotos(fieldset) {
    var form = fieldset.closest('form');
    var list = fieldset.querySelector('.photo-previews');
    var status = fieldset.querySelector('.upload-status');
    var csrf = form.querySelector('input[name=csrf_token]');
    var text = fieldset.dataset;
    var max = parseInt(text.maxPhotos, 10) || 10;
    var pending = 0;
    var submitAfterUploads = null;

    function previews() { return list.querySelectorAll('.photo-preview'); }

    function renumber() {
      previews().forEach(function (item, index) {
        var label = text.textPhoto.replace('{n}', index + 1);
        var image = item.querySelector('img');
        if (image) image.alt = label;
        item.querySelectorAll('.photo-context').forEach(function (span) { span.textContent = ' ' + label; });
      });
    }

    function announce(message) { status.textContent = message; }

    function addControls(item) {
      var keep = item.querySelector('label.choice');
      if (keep) keep.hidden = true;
      var controls = document.createElement('span');
      controls.className = 'photo-controls';
      [['textMoveUp', 'move-up'], ['textMoveDown', 'move-down'], ['textRemove', 'remove']].forEach(function (pair) {
        var control = button(text[pair[0]], pair[1]);
        var context = document.createElement('span');
        context.className = 'visually-hidden photo-context';
        control.appendChild(context);
        controls.appendChild(control);
      });
      item.appendChild(controls);
    }

    list.addEventListener('click', function (event) {
      var control = event.target.closest('button');
      if (!control) return;
      var item = control.closest('.photo-preview');
      if (control.classList.contains('remove')) {
        item.remove();
        announce(text.textRemoved);
      } else if (control.classList.contains('move-up') && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
        control.focus();
      } else if (control.classList.contains('move-down') && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
        control.focus();
      }
      renumber();
    });

    function finished() {
      pending -= 1;
      renumber();
      if (pending > 0) return;
      announce(text.textUploaded);
      if (submitAfterUploads) {
        var submitter = submitAfterUploads;
        submitAfterUploads = null;
        if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
      }
    }

    function failed(item, message) {
      item.classList.remove('is-uploading');
      item.classList.add('is-failed');
      var bar = item.querySelector('progress');
      if (bar) bar.remove();
      var error = document.createElement('p');
      error.className = 'error-message';
      error.textContent = message;
      item.appendChild(error);
      var remove = button(text.textRemove, 'remove');
      item.appendChild(remove);
      announce(message);
    }

    function held(item, photo) {
      item.classList.remove('is-uploading');
      item.dataset.photo = photo.key;
      var hidden = document.createElement('input');
      hidden.type = 'hidden';
      hidden.name = 'draft_photo';
      hidden.value = photo.key;
      item.insertBefore(hidden, item.firstChild);
      item.querySelector('img').src = photo.thumb;
      var bar = item.querySelector('progress');
      if (bar) bar.remove();
      var name = item.querySelector('.photo-name');
      if (name) name.remove();
      addControls(item);
    }

    function upload(item, blob, name) {
      var bar = item.querySelector('progress');
      var data = new FormData();
      data.append('csrf_token', csrf.value);
      data.append('photos', blob, name);
      var request = new XMLHttpRequest();
      request.open('POST', text.uploadUrl);
      request.setRequestHeader('Accept', 'application/json');
      request.upload.onprogress = function (event) {
        if (!event.lengthComputable) return;
        bar.value = Math.round(100 * event.loaded / event.total);
        item.dataset.sent = String(bar.value);
      };
      request.onload = function () {
        var answer = null;
        try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = null; }
        var photo = answer && answer.photos && answer.photos[0];
        if (request.status === 200 && photo) held(item, photo);
        else failed(item, (answer && answer.error) || text.textFailed);
        finished();
      };
      request.onerror = function () { failed(item, text.textFailed); finished(); };
      request.send(data);
    }

    function sendAhead(file) {
      var item = document.createElement('li');
      item.className = 'photo-preview is-uploading';
      var image = document.createElement('img');
      image.alt = '';
      image.width = 120;
      image.height = 90;
      if (/^image\/(jpeg|png|webp)$/.test(file.type) && window.URL) image.src = URL.createObjectURL(file);
      var name = document.createElement('span');
      name.className = 'photo-name';
      name.textContent = file.name;
      var bar = document.createElement('progress');
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute('aria-label', text.textUploading + ' ' + file.name);
      item.appendChild(image);
      item.appendChild(name);
      item.appendChild(bar);
      list.appendChild(item);
      pending += 1;
      announce(text.textUploading);
      downscale(file).then(function (blob) { upload(item, blob, file.name); });
    }

    fieldset.querySelectorAll('input[type=file]').forEach(function (input) {
      input.addEventListener('change', function () {
        var files = Array.prototype.slice.call(input.files || []);
        // Sent ahead: the form itself then carries only the photos' keys.
        input.value = '';
        var room = max - previews().length;
        if (files.length > room) {
          announce(text.textTooMany);
          files = files.slice(0, Math.max(0, room));
        }
        files.forEach(sendAhead);
      });
    });

    previews().forEach(addControls);
    renumber();

    form.addEventListener('submit', function (event) {
      if (pending > 0) {
        event.preventDefault();
        submitAfterUploads = event.submitter || null;
        announce(text.textWaiting);
      }
    });
  }

  // A form's buttons say it is working and a second press does not send it twice. The
  // buttons stay enabled: a disabled button would leave its own value out of the form.
  function showBusyOnSubmit(form) {
    form.addEventListener('submit', function (event) {
      if (event.defaultPrevented) return;
      if (form.dataset.busy === 'true') {
        event.preventDefault();
        return;
      }
      form.dataset.busy = 'true';
      form.setAttribute('aria-busy', 'true');
      form.querySelectorAll('button[type=submit]').forEach(function (submit) {
        submit.setAttribute('aria-disabled', 'true');
        if (submit === event.submitter && submit.dataset.busyText) {
          submit.dataset.idleText = submit.textContent;
          submit.textContent = submit.dataset.busyText;
        }
      });
    });
  }

  // The share button: the phone's share sheet where there is one, else the clipboard. The
  // link itself stays on the page to copy by hand.
  function enhanceShare(control) {
    var url = control.dataset.shareUrl;
    var status = control.closest('.share').querySelector('.share-status');
    if (!navigator.share && !(navigator.clipboard && navigator.clipboard.writeText)) return;
    control.hidden = false;
    control.addEventListener('click', function () {
      if (navigator.share) {
        navigator.share({ title: control.dataset.shareTitle, url: url }).catch(function () {});
        return;
      }
      navigator.clipboard.writeText(url).then(function () {
        status.textContent = control.dataset.copiedText;
      }, function () {});
    });
  }

  openFiltersOnWideScreens();
  document.querySelectorAll('button[data-share-url]').forEach(enhanceShare);
  var photos = document.getElementById('photos-fieldset');
  if (photos && window.FormData && window.XMLHttpRequest && window.Promise) enhancePhotos(photos);
  document.querySelectorAll('form.item-form').forEach(showBusyOnSubmit);
  // Coming back to the page (bfcache) must not leave it looking busy.
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('form[aria-busy=true]').forEach(function (form) {
      form.dataset.busy = 'false';
      form.removeAttribute('aria-busy');
      form.querySelectorAll('button[aria-disabled=true]').forEach(function (submit) {
        submit.removeAttribute('aria-disabled');
        if (submit.dataset.idleText) submit.textContent = submit.dataset.idleText;
      });
    });
  });
}());
