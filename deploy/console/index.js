// Landing page: keeps a token passed in the URL fragment and says whether one is set.
import { readToken, setupLogin } from './app.js';

const state = document.getElementById('token-state');
const show = () => {
  state.textContent = readToken()
    ? 'A console token is set for this browser tab.'
    : 'No console token yet: the pages will ask for it.';
};
setupLogin(show);
show();
