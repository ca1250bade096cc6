//! A timer that works in windows, workers and Node alike (all have a global `setTimeout`).
//! Dropping the future clears the JS timer, so a finished wait never keeps Node alive.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Resolves after a delay; clears its JS timer when dropped early.
pub struct Sleep {
    handle: JsValue,
    done: JsFuture,
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.done).poll(cx).map(|_| ())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

/// Resolves after `ms` milliseconds.
pub fn sleep_ms(ms: u32) -> Sleep {
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    let mut handle = JsValue::UNDEFINED;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        handle = set_timeout(&resolve, ms);
    });
    Sleep {
        handle,
        done: JsFuture::from(promise),
    }
}
